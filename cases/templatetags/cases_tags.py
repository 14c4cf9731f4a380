"""Template filters of the case pages: which links a user is shown (only those the role may use)."""

from django import template

register = template.Library()


@register.filter
def takes_in(user) -> bool:
    """Whether ``user`` is a clerk of some window (受理登记 is for them; others would get a 403)."""
    from cases.forms import intake_windows

    return bool(getattr(user, "is_authenticated", False)) and intake_windows(user).exists()


@register.filter
def works_queue(user) -> bool:
    """Whether ``user`` works for a department (部门待办 lists their departments' assignments)."""
    from routing.scoping import scope_for

    if not getattr(user, "is_authenticated", False):
        return False
    scope = scope_for(user)
    return scope.is_superuser or bool(scope.department_ids)
