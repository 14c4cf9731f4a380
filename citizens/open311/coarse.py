"""How precisely the anonymous Open311 feed places a case: down to ``OPEN311_PUBLIC_TIER`` (default the
town), never the village.

Anyone may read ``requests.json``. In a village of a few hundred people, "a 社会救助 case taken in at 东村,
handled by 东村村委会" points at a household. So, below the public tier:

- ``jurisdiction_id`` finer than the public tier is refused (400);
- the lead department of a case handled below it is named by the region of the public tier it lies in
  (``暨阳街道辖区村（社区）``), not by its own name;
- a case's tracking number starts with the code of the region of its window (``330681001001…`` is a
  village): in the feed a case is named by its *public id* instead, the tracking number sealed with AES
  under a key of its own (``OPEN311_ID_KEY``, derived from ``SECRET_KEY`` when unset), which anyone can
  look a request up by and nobody can read a region out of. Whoever already holds the tracking number (the
  requester, a submitting client) may still use it: a request asked for by its tracking number is answered
  with it.

``OPEN311_PUBLIC_TIER = "village"`` turns all of this off (the tracking number everywhere).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.utils.translation import gettext as _

from routing.choices import Tier
from routing.paths import path_codes, path_prefixes

from .. import conf

TIERS = (Tier.COUNTY, Tier.TOWN, Tier.VILLAGE)
PUBLIC_ID_PREFIX = "x"


def public_depth() -> int:
    """How many levels of a region path the feed may show (county 1, town 2, village 3)."""
    tier = conf.get("OPEN311_PUBLIC_TIER")
    return TIERS.index(tier) + 1 if tier in TIERS else 2


def public_tier_label() -> str:
    return str(Tier(TIERS[public_depth() - 1]).label)


def too_fine(path: str) -> bool:
    """A region below the public tier (its path has more levels than the feed may show)."""
    return len(path_codes(path)) > public_depth()


def public_path(path: str) -> str:
    """The path of the region of the public tier that ``path`` lies in (itself when not below it)."""
    prefixes = path_prefixes(path)
    return prefixes[min(public_depth(), len(prefixes)) - 1] if prefixes else path


def agency(name: str | None, path: str | None, region_names: dict[str, str]) -> str | None:
    """The lead department as the feed may name it: its own name, or, below the public tier, the region
    of the public tier it lies in."""
    if not name or not path or not too_fine(path):
        return name
    return _("%(region)s辖区基层单位") % {"region": region_names.get(public_path(path), "")}


@lru_cache(maxsize=4)
def _cipher_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"windowsvc.open311.public-id", hashlib.sha256).digest()[:16]


def _key() -> bytes:
    return _cipher_key(str(getattr(settings, "OPEN311_ID_KEY", "") or settings.SECRET_KEY))


def public_id(tracking_number: str) -> str:
    """The tracking number sealed in one AES block (a keyed permutation: unique, reversible with the key,
    telling nothing without it): ``x`` + 26 base32 characters."""
    number = int("1" + tracking_number)  # the leading 1 keeps leading zeros; 33 digits fit in 128 bits
    encryptor = Cipher(algorithms.AES(_key()), modes.ECB()).encryptor()  # noqa: S305 (one block, a PRP)
    sealed = encryptor.update(number.to_bytes(16, "big")) + encryptor.finalize()
    return PUBLIC_ID_PREFIX + base64.b32encode(sealed).decode().rstrip("=").lower()


def tracking_number_of(value: str) -> str | None:
    """The tracking number behind a public id; None when ``value`` is not one."""
    if not value.startswith(PUBLIC_ID_PREFIX) or len(value) != 27:
        return None
    try:
        sealed = base64.b32decode(value[1:].upper() + "======")
    except ValueError:
        return None
    decryptor = Cipher(algorithms.AES(_key()), modes.ECB()).decryptor()  # noqa: S305
    digits = str(int.from_bytes(decryptor.update(sealed) + decryptor.finalize(), "big"))
    return digits[1:] if digits.startswith("1") and len(digits) > 1 else None


def shown_id(tracking_number: str, region_path: str) -> str:
    """The ``service_request_id`` the feed shows for a case taken in at ``region_path``."""
    return public_id(tracking_number) if too_fine(region_path) else tracking_number
