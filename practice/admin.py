"""Admin of 常态建设: read-only (clusters are written by the detector, items by the services)."""

from django.contrib import admin

from .models import PracticeItem, PracticeItemEvent, RecurringProblem


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(RecurringProblem)
class RecurringProblemAdmin(_ReadOnly):
    list_display = ["title", "kind", "region", "case_count", "window_count", "last_seen_at"]
    list_filter = ["kind"]


class PracticeItemEventInline(admin.TabularInline):
    model = PracticeItemEvent
    extra = 0
    can_delete = False
    fields = ["sequence", "kind", "actor", "from_status", "to_status", "text", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PracticeItem)
class PracticeItemAdmin(_ReadOnly):
    list_display = ["title", "measure", "responsible_department", "status", "due_at"]
    list_filter = ["status", "measure"]
    inlines = [PracticeItemEventInline]
