"""Logins: lockout after repeated failures (django-axes) and API tokens revoked on a password change (knox).

Every login path — the login page, the admin login and the API token endpoint — goes through
``django.contrib.auth.authenticate`` with the request, so axes' backend (first in
``AUTHENTICATION_BACKENDS``) refuses a locked-out client before the password is even checked, and its
``user_login_failed`` receiver counts each failure in the database (lockouts survive restarts).

What is locked (docs/SECURITY.md, "Logins"):

- an account *from one address* after ``LOGIN_FAILURE_LIMIT`` failures (axes' own counting, parameters
  ``[["username", "ip_address"]]``): a user who mistypes locks only themselves, on their own machine, and a
  stranger cannot lock a colleague out from elsewhere with a handful of guesses;
- an *address* after ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures over all accounts (guessing many accounts,
  "password spraying"); set well above the per-account limit because a whole office shares one address;
- an *account* after ``LOGIN_ACCOUNT_FAILURE_LIMIT`` failures from all addresses (guessing one account from
  many addresses).

All three count failures within ``LOGIN_COOLOFF_MINUTES`` of the last one and release after it; attempts
during a lockout are refused without being counted, so the lockout ends on time. 0 turns a ceiling off.
"""

from __future__ import annotations

import logging
import math

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from knox.models import get_token_model

from windowsvc.addresses import client_address

logger = logging.getLogger(__name__)


def login_client_address(request) -> str | None:
    """The client address of a login attempt: the same rule as the public rate limits
    (``windowsvc/addresses.py``: ``PUBLIC_TRUSTED_PROXY_HOPS``). None when there is none (axes stores null).
    """
    address = client_address(request)
    return None if address == "unknown" else address


class LoginAttemptHandler(AxesDatabaseHandler):
    """axes' database handler with two wider ceilings: per address and per account (module docstring)."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        limit = int(settings.AXES_FAILURE_LIMIT)
        if failures >= limit:
            return failures
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        ceilings = (
            ("ip_address", getattr(request, "axes_ip_address", None), settings.LOGIN_ADDRESS_FAILURE_LIMIT),
            ("username", get_client_username(request, credentials), settings.LOGIN_ACCOUNT_FAILURE_LIMIT),
        )
        for field, value, ceiling in ceilings:
            if not ceiling or not value:
                continue
            total = recent.filter(**{field: value}).aggregate(n=Sum("failures_since_start"))["n"] or 0
            if total >= ceiling:
                # Reported as "at the limit": axes then locks exactly as for the account-and-address pair.
                return limit
        return failures


def lockout_minutes(request=None) -> int:
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0


def lockout_message(request=None) -> str:
    return _("登录失败次数过多，已暂时锁定。请在 %(minutes)d 分钟后再试，或联系系统管理员解锁。") % {
        "minutes": lockout_minutes(request)
    }


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out client sees (``AXES_LOCKOUT_CALLABLE``): a page for people, JSON for the API."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    cool_off = get_cool_off(request)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": lockout_message(request)}, status=status)
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"minutes": lockout_minutes(request), "message": lockout_message(request)},
            status=status,
        )
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


@receiver(user_locked_out, dispatch_uid="windowsvc-log-lockout")
def _log_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    path = getattr(request, "path", "") if request is not None else ""
    logger.warning("login locked out: username=%r address=%s path=%s", username, ip_address, path)


# --- A password change revokes every API token of the user --------------------------------------------
# Sessions need nothing: Django already ends them when the password hash they were opened with changes.
# Every path that saves a user is covered (admin, set_password, the organisation import's password_hash);
# only QuerySet.update() bypasses model signals, and nothing updates passwords that way.


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="windowsvc-password-changed")
def _note_password_change(sender, instance, raw=False, update_fields=None, **kwargs):
    instance._windowsvc_password_changed = False
    if raw or instance.pk is None:
        return
    if update_fields is not None and "password" not in update_fields:
        return
    stored = sender._default_manager.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._windowsvc_password_changed = stored is not None and stored != instance.password


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="windowsvc-revoke-tokens")
def _revoke_tokens_on_password_change(sender, instance, created=False, **kwargs):
    if created or not getattr(instance, "_windowsvc_password_changed", False):
        return
    instance._windowsvc_password_changed = False
    revoked, _detail = get_token_model().objects.filter(user_id=instance.pk).delete()
    if revoked:
        logger.info("password changed: revoked %d API token(s) of user %s", revoked, instance.pk)
