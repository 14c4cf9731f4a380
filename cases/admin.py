"""Admin for cases: read-only cases (changes only through workflow commands), editable categories.

Every changelist is scoped with ``visible_to(request.user)``; phones and id numbers are masked in lists.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from routing.choices import Tier
from routing.models import Region
from routing.paths import county_path, is_above_county
from windowsvc.personal import mask_name

from .models import (
    Assignment,
    Case,
    CaseEvent,
    Category,
    CategoryDefaultDepartment,
    Extension,
    Reason,
    RefusalReview,
    Requester,
    SlaPolicy,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = (
        "sequence",
        "kind",
        "actor",
        "department",
        "from_status",
        "to_status",
        "reason",
        "is_public",
        "created_at",
    )
    readonly_fields = fields
    ordering = ("sequence",)


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fields = ("department", "role", "status", "is_current", "can_return", "origin", "accepted_at", "ended_at")
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Cases are looked at here, never edited: every change is a workflow command with its event."""

    list_display = (
        "tracking_number",
        "title",
        "status",
        "masked_requester",
        "region",
        "lead_department",
        "handling_mode",
        "taken_in_at",
    )
    list_filter = ("status", "channel", "matter_kind", "complexity", "handling_mode", "green_channel")
    search_fields = ("tracking_number", "title")
    date_hierarchy = "taken_in_at"
    list_select_related = ("requester", "region", "lead_department")
    inlines = [AssignmentInline, CaseEventInline]
    exclude = ("query_code",)

    @admin.display(description=_("反映人"))
    def masked_requester(self, obj):
        return str(obj.requester)

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "query_code"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Requester)
class RequesterAdmin(admin.ModelAdmin):
    """Read-only and masked: requesters are reached through the cases the user may see."""

    list_display = ("masked_name", "kind", "masked_phone", "masked_identity", "created_at")
    list_filter = ("kind",)

    @admin.display(description=_("姓名/名称"))
    def masked_name(self, obj):
        return mask_name(obj.name)

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj):
        return obj.masked_phone

    @admin.display(description=_("证件号码"))
    def masked_identity(self, obj):
        return obj.masked_id_number or obj.masked_credit_code

    def get_queryset(self, request):
        visible = Case.objects.visible_to(request.user).values("requester_id")
        return super().get_queryset(request).filter(pk__in=visible)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CategoryDefaultDepartmentInline(admin.TabularInline):
    model = CategoryDefaultDepartment
    extra = 0
    autocomplete_fields = ()


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Categories of the counties the user administers; the default lead department per region inline."""

    list_display = ("code", "name", "county", "parent", "is_active")
    list_filter = ("is_active", "county")
    search_fields = ("code", "name")
    inlines = [CategoryDefaultDepartmentInline]

    def _counties(self, request):
        administered = Region.objects.administered_by(request.user)
        if request.user.is_superuser:
            return Region.objects.filter(tier=Tier.COUNTY)
        paths = {
            county_path(p) for p in administered.values_list("path", flat=True) if not is_above_county(p)
        }
        # A city's or province's administrator edits the categories of the counties below it.
        paths |= set(administered.filter(tier=Tier.COUNTY).values_list("path", flat=True))
        # A county's categories are edited by that county's administrators only.
        return Region.objects.filter(path__in=sorted(paths)).filter(pk__in=administered.values("pk"))

    def get_queryset(self, request):
        return super().get_queryset(request).filter(county__in=self._counties(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "county":
            kwargs["queryset"] = self._counties(request)
        elif db_field.name == "parent":
            kwargs["queryset"] = Category.objects.filter(county__in=self._counties(request))
        elif db_field.name == "region":
            kwargs["queryset"] = Region.objects.administered_by(request.user)
        elif db_field.name == "department":
            from routing.models import Department

            kwargs["queryset"] = Department.objects.administered_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Deadlines (docs/DEADLINES.md) ------------------------------------------------------------------------


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """Time limits per category × matter kind × handling mode × complexity; the most specific row wins.

    Edits apply to cases classified (or reclassified) afterwards; stored deadlines do not move. Only
    superusers hold the model permissions (no role group grants them).
    """

    list_display = (
        "name",
        "category",
        "matter_kind",
        "handling_mode",
        "complexity",
        "sign_for_hours",
        "reply_days",
        "completion_days",
        "reasoned_reply_days",
        "extension_ceiling_days",
        "green_channel_percent",
        "is_active",
    )
    list_filter = ("is_active", "handling_mode", "complexity", "matter_kind")
    search_fields = ("name", "category__name", "category__code")
    list_select_related = ("category",)
    autocomplete_fields = ()


class CaseRecordAdmin(admin.ModelAdmin):
    """Rows that belong to a case and change only through workflow commands: looked at here, scoped to
    the cases the user may see, never added, changed or deleted."""

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(case__in=Case.objects.visible_to(request.user).values("pk"))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Extension)
class ExtensionAdmin(CaseRecordAdmin):
    """延期申请 are looked at here; they are requested and decided only through workflow commands."""

    list_display = ("case", "department", "days", "status", "requested_by", "decided_by", "created_at")
    list_filter = ("status",)
    list_select_related = ("case", "department", "requested_by", "decided_by")


@admin.register(Reason)
class ReasonAdmin(admin.ModelAdmin):
    """The configurable reason lists (refusals and "cannot be done"; suspensions). A reason in use is
    retired with ``is_active``; codes stay, so past refusals are still counted by reason. Superusers only."""

    list_display = ("label", "code", "purpose", "sort_order", "is_active")
    list_filter = ("purpose", "is_active")
    list_editable = ("sort_order", "is_active")
    search_fields = ("label", "code")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RefusalReview)
class RefusalReviewAdmin(CaseRecordAdmin):
    """否定答复报告 are looked at here; they are opened and decided only through workflow commands."""

    list_display = ("case", "kind", "reason", "status", "due_at", "decided_by", "decided_at")
    list_filter = ("status", "kind", "reason")
    list_select_related = ("case", "reason", "decided_by")
