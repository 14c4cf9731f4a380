"""Chinese text → content words for the recurring-problem detector: the distinct words of a matter, in
first-seen order, at most ``MAX_TERMS`` (enough for a title and a description). Segmentation and the stop
words are ``windowsvc.text`` (the one place the apps turn Chinese into words).
"""

from __future__ import annotations

from windowsvc.text import words

MAX_TERMS = 60


def terms(text: str) -> list[str]:
    """The content words of ``text`` (see the module docstring)."""
    seen: dict[str, None] = {}
    for word in words(text or ""):
        seen.setdefault(word, None)
        if len(seen) >= MAX_TERMS:
            break
    return list(seen)


def case_text(title: str, description: str) -> str:
    return f"{title or ''}\n{description or ''}"
