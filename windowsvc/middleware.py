"""Project-wide middleware."""

from __future__ import annotations

import time

from django.conf import settings

# How often an active staff session is saved again (its expiry moves with each save).
_REFRESH_SECONDS = 60
_REFRESHED = "_idle_refreshed"


class StaffIdleTimeoutMiddleware:
    """Staff sessions end after ``STAFF_IDLE_TIMEOUT_SECONDS`` without a request (default 30 minutes).

    Django's relative expiry does the ending: ``set_expiry(seconds)`` means "after that long without the
    session being saved". While the user keeps working the session is saved again at most once a minute, so
    an idle session expires between ``timeout - 60 s`` and ``timeout`` after the last request, and an
    active one costs one session write a minute, not one per request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        # Everyone who logs in is staff of some window, department or office (citizens never log in);
        # Django's is_staff only marks who may enter the admin.
        if user is not None and user.is_authenticated:
            session = request.session
            now = int(time.time())
            if now - int(session.get(_REFRESHED, 0)) >= _REFRESH_SECONDS:
                session[_REFRESHED] = now
                session.set_expiry(settings.STAFF_IDLE_TIMEOUT_SECONDS)
        return self.get_response(request)
