"""Formatting of supervision numbers in templates: rates as percentages, working days with decimals."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.filter
def pct(value, digits: int = 1) -> str:
    """0.9345 → ``93.5%``; None → ``—``."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def days(value) -> str:
    """Working days with two decimals; None → ``—``."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.2f}"


@register.filter
def score(value) -> str:
    return "—" if value is None else f"{float(value):.2f}"


@register.filter
def oversees(user) -> bool:
    """Whether the supervision pages are for ``user`` (an oversight role, or a superuser): the nav link."""
    from routing.scoping import scope_for

    scope = scope_for(user)
    return scope.is_superuser or bool(scope.oversight_paths)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def quick_widget(bound_field):
    """A select rendered directly (Django's widget templates cost ~0.1 ms per option; the department and
    category lists have dozens); other widgets as usual."""
    from django import forms

    widget = bound_field.field.widget
    if not isinstance(widget, forms.Select) or isinstance(widget, forms.SelectMultiple):
        return bound_field.as_widget()
    value = bound_field.value()
    current = "" if value in (None, "") else str(value)
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (str(key), " selected" if str(key) == current else "", label)
            for key, label in bound_field.field.choices
        ),
    )
    return format_html(
        '<select name="{}" id="{}">{}</select>', bound_field.html_name, bound_field.id_for_label, options
    )
