"""``unread_notification_count`` for the header: evaluated only if a template shows it, at most once."""

from functools import cache

from .models import Notification


def unread_notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notification_count": 0}

    @cache
    def count() -> int:
        return Notification.objects.visible_to(user).unread().count()

    # Django templates call a callable variable, so pages that do not render the header run no query.
    return {"unread_notification_count": count}
