"""Settings of the practice app with their defaults (env-driven in ``windowsvc/settings``; docs/PRACTICE.md)."""

from django.conf import settings


def window_days() -> int:
    """Days back the detector looks at (and the length of each side of an item's before/since count)."""
    return int(getattr(settings, "PRACTICE_WINDOW_DAYS", 90))


def min_cluster_size() -> int:
    """Fewest cases that make a recurring problem."""
    return max(2, int(getattr(settings, "PRACTICE_MIN_CLUSTER_SIZE", 3)))


def text_similarity() -> float:
    """Jaccard similarity of two cases' top terms from which they are linked."""
    return float(getattr(settings, "PRACTICE_TEXT_SIMILARITY", 0.45))


def text_core_share() -> float:
    """Share (by idf weight) of a cluster's core terms each of its matters must hold."""
    return float(getattr(settings, "PRACTICE_TEXT_CORE_SHARE", 0.6))


def text_top_terms() -> int:
    """How many of a case's most distinctive terms are compared."""
    return int(getattr(settings, "PRACTICE_TEXT_TOP_TERMS", 12))


def text_max_df() -> int:
    """A term in more cases than this (in one county's window) proposes no candidate pairs."""
    return int(getattr(settings, "PRACTICE_TEXT_MAX_DF", 200))


def item_days() -> int:
    """Default working days a standing-practice item is given."""
    return int(getattr(settings, "PRACTICE_ITEM_DAYS", 20))


def item_max_days() -> int:
    return int(getattr(settings, "PRACTICE_ITEM_MAX_DAYS", 120))


def sweep_batch_size() -> int:
    return int(getattr(settings, "PRACTICE_SWEEP_BATCH_SIZE", 200))
