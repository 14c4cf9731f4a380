"""The client's address behind our reverse proxies: one rule for login lockouts and public rate limits.

``REMOTE_ADDR``, unless ``PUBLIC_TRUSTED_PROXY_HOPS`` says how many reverse proxies of ours append to
``X-Forwarded-For``; then the address the outermost of them saw. IPv6 clients are grouped per /64 (one
subscriber usually holds a whole /64).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    """The client's address, explicit about proxies (see the module docstring); ``"unknown"`` if none.

    With ``PUBLIC_TRUSTED_PROXY_HOPS = n`` (> 0), the n-th address from the right of ``X-Forwarded-For`` is
    the client as our outermost proxy saw it; whatever the client put further left is ignored (it could
    write anything there). Without the header, or with fewer entries than hops, ``REMOTE_ADDR``.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    hops = int(getattr(settings, "PUBLIC_TRUSTED_PROXY_HOPS", 0) or 0)
    address = remote
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    return _normalise(address) or _normalise(remote) or "unknown"


def _normalise(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return ""
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
