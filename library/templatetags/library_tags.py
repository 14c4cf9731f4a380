"""Template tags of the library: the case page's "案例汇总" section, included by ``cases/detail.html``
through this tag so that the ``cases`` code never imports ``library``."""

from django import template

from .. import selectors, workflow
from ..choices import WriteUpRole
from ..models import WriteUp

register = template.Library()


@register.inclusion_tag("library/_case_section.html", takes_context=True)
def case_library_section(context, case):
    user = context["request"].user
    writeup = WriteUp.objects.visible_to(user).filter(case=case).first()
    can_write = (
        writeup is None
        and case.status in workflow.WRITABLE_CASE_STATUSES
        and WriteUpRole.AUTHOR in workflow.case_roles(case, user)
    )
    return {
        "case": case,
        "writeup": writeup,
        "can_write": can_write,
        "reuses": list(selectors.case_reuses(user=user, case=case)),
    }
