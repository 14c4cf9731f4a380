"""``calendar_horizon_warning`` for the admin's and the supervision pages' banner: evaluated only if a
template shows it, at most once per request, and only for staff users. Reads only: nothing is recorded
or sent from a page (the daily beat check tells people)."""

from functools import cache

from .calendar.horizon import calendar_horizon_warning


def calendar_horizon(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"calendar_horizon_warning": None}

    @cache
    def warning():
        return calendar_horizon_warning()

    # Django templates call a callable variable, so pages without the banner run no query.
    return {"calendar_horizon_warning": warning}
