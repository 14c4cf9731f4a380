"""Rate limits of the anonymous endpoints: fixed-window counters in Redis, atomic under concurrency.

DRF's throttles read, compare and write a cache entry in three steps, so concurrent requests all pass
(and they are no security control). Here one Lua script increments every counter of a request and sets
the expiry of a new one in a single step on the Redis server: N concurrent requests get the counts
1…N, so exactly ``limit`` of them pass in a window, whichever process serves them.

Client addresses are explicit (``client_address``, shared with the login lockouts in
``windowsvc/addresses.py``): ``REMOTE_ADDR`` unless ``PUBLIC_TRUSTED_PROXY_HOPS`` says how many reverse
proxies of ours append to ``X-Forwarded-For``; then the address the outermost of them saw. IPv6 clients
are counted per /64 (one subscriber usually holds a whole /64).

If Redis cannot be reached the limiter fails closed (``RateLimitUnavailable``): the anonymous lookup is
refused rather than left open to guessing.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import redis
from django.conf import settings

# Re-exported: the anonymous endpoints count by it (one rule with the login lockouts).
from windowsvc.addresses import client_address as client_address

logger = logging.getLogger(__name__)

# INCR every key; a key that was just created (count 1) gets its window as expiry. Returns the counts.
_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, ARGV[i]) end
  counts[i] = count
end
return counts
"""

_lock = threading.Lock()
_client: redis.Redis | None = None
_script = None


class RateLimitUnavailable(Exception):
    """The counters could not be reached (Redis down or slow): callers refuse the request."""


@dataclass(frozen=True)
class Limit:
    """At most ``count`` hits per ``seconds`` for one value of one scope (address, tracking number …)."""

    scope: str
    value: str
    count: int
    seconds: int


def _redis():
    global _client, _script
    if _client is None:
        with _lock:
            if _client is None:
                url = getattr(settings, "PUBLIC_RATELIMIT_REDIS_URL", "") or settings.REDIS_URL
                client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
                _script = client.register_script(_SCRIPT)
                _client = client
    return _client, _script


def reset_client() -> None:
    """Forget the connection (tests that change ``REDIS_URL``)."""
    global _client, _script
    with _lock:
        _client, _script = None, None


def _key(limit: Limit) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX") or "windowsvc"
    # Hashed: an attacker's arbitrary input never becomes a raw key, and keys have one bounded length.
    digest = hashlib.sha256(limit.value.encode()).hexdigest()[:32]
    return f"{prefix}:ratelimit:{limit.scope}:{limit.seconds}:{digest}"


def hit(limits: Sequence[Limit]) -> bool:
    """Count one request against every limit; True when all of them still allow it.

    Every limit is counted even when another is exceeded, so an attacker spreading guesses over many
    tracking numbers from one address is stopped by the address limit, and one number guessed from many
    addresses by the number's limit.
    """
    if not limits:
        return True
    script = _redis()[1]
    try:
        counts = script(keys=[_key(limit) for limit in limits], args=[limit.seconds for limit in limits])
    except redis.RedisError as exc:
        logger.warning("rate limit counters unavailable: %s", exc)
        raise RateLimitUnavailable from exc
    return all(int(count) <= limit.count for count, limit in zip(counts, limits, strict=True))
