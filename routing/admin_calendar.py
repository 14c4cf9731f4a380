"""Admin for the working-day calendar: days (national and county), county business hours, horizon alerts.

Imported from ``routing/admin.py``. National days are added and edited by superusers only (they are the
State Council's schedule for every county, shifting every deadline); below a superuser a row is always a
county row of a county the user administers (a county administrator's own), which whoever may add it may
also correct or delete. A town or village administrator administers no whole county and adds none. Saves go
through ``working_day_set`` so the row's source becomes "admin" and the calendar cache is invalidated.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .calendar import BusinessHours, CalendarHorizonAlert, CalendarSource, WorkingDay, working_day_set
from .choices import Tier
from .models import Region


def _administered_counties(user):
    return Region.objects.administered_by(user).filter(tier=Tier.COUNTY)


class _CountyScopedAdmin(admin.ModelAdmin):
    """Rows of counties the user administers; superusers see everything."""

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("region")
        if request.user.is_superuser:
            return qs
        return qs.filter(self.scope_q(request.user))

    def scope_q(self, user) -> Q:
        return Q(region__in=_administered_counties(user))

    def has_add_permission(self, request):
        return super().has_add_permission(request) and (
            request.user.is_superuser or _administered_counties(request.user).exists()
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region":
            counties = Region.objects.filter(tier=Tier.COUNTY)
            if request.user.is_superuser:
                kwargs["queryset"] = counties
            else:
                # Below a superuser a row is a county row: leaving the county empty would make it national.
                kwargs["queryset"] = _administered_counties(request.user)
                kwargs["required"] = True
                kwargs["empty_label"] = None
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def check_row_scope(self, request, region) -> None:
        """The rule once more on save (the form already limits the choice): a non-superuser writes rows of
        counties they administer only."""
        if request.user.is_superuser:
            return
        if region is None or not _administered_counties(request.user).filter(pk=region.pk).exists():
            raise PermissionDenied


@admin.register(WorkingDay)
class WorkingDayAdmin(_CountyScopedAdmin):
    list_display = ["date", "weekday", "region", "is_working_day", "reason", "holiday_name", "source", "note"]
    list_filter = ["is_working_day", "reason", "source", ("region", admin.EmptyFieldListFilter)]
    search_fields = ["holiday_name", "note", "region__name"]
    date_hierarchy = "date"
    fields = ["date", "region", "reason", "holiday_name", "note", "is_working_day", "source", "updated_at"]
    readonly_fields = ["is_working_day", "source", "updated_at"]
    list_per_page = 100

    @admin.display(description=_("星期"))
    def weekday(self, obj):
        return "一二三四五六日"[obj.date.weekday()]

    def scope_q(self, user) -> Q:
        # Everyone who may view the calendar reads the national days; county rows only in their counties.
        return Q(region__isnull=True) | Q(region__in=_administered_counties(user))

    def get_readonly_fields(self, request, obj=None):
        # The date and scope identify the row; changing them would be a different day.
        return [*self.readonly_fields, "date", "region"] if obj is not None else self.readonly_fields

    def _may_edit(self, request, obj) -> bool:
        return obj is None or obj.region_id is not None or request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Deleting a national day would leave a hole that counts as past the horizon.
        return super().has_delete_permission(request, obj) and (obj is None or obj.region_id is not None)

    def delete_model(self, request, obj):
        self.check_row_scope(request, obj.region)
        super().delete_model(request, obj)  # the snapshot cache follows by signal

    def save_model(self, request, obj, form, change):
        self.check_row_scope(request, obj.region)
        saved = working_day_set(
            day=obj.date,
            region=obj.region,
            reason=obj.reason,
            holiday_name=obj.holiday_name,
            note=obj.note,
            source=CalendarSource.ADMIN,
        )
        obj.pk, obj.is_working_day, obj.source = saved.pk, saved.is_working_day, saved.source


@admin.register(BusinessHours)
class BusinessHoursAdmin(_CountyScopedAdmin):
    list_display = [
        "region",
        "morning_start",
        "morning_end",
        "afternoon_start",
        "afternoon_end",
        "updated_at",
    ]

    def save_model(self, request, obj, form, change):
        self.check_row_scope(request, obj.region)
        super().save_model(request, obj, form, change)


@admin.register(CalendarHorizonAlert)
class CalendarHorizonAlertAdmin(admin.ModelAdmin):
    """Read-only: alerts are raised by the deadline arithmetic and resolved by loading the year."""

    list_display = ["year", "first_needed_on", "horizon", "created_at", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["year", "first_needed_on", "horizon", "created_at", "resolved_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
