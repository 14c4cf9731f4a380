"""The Open311 error: the spec's array of ``{code, description}`` with an HTTP status (400, 403, 404)."""

from __future__ import annotations


class Open311Error(Exception):
    """A refusal in GeoReport terms. ``errors`` = [(code, description)]; ``status`` = the HTTP status
    (404 for what does not exist, 403 for a wrong or missing api_key, 400 for everything else)."""

    def __init__(self, status: int = 400, description: str = "", *, errors=None):
        self.errors = list(errors) if errors else [(status, description)]
        self.status = status if not errors else max(code for code, _d in self.errors)
        super().__init__("; ".join(d for _c, d in self.errors))
