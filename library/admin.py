"""Admin of the library: the 卡点 list is edited here; write-ups are looked at (scoped), never edited —
every change is a command of ``library.services`` with its event."""

from django.contrib import admin

from .models import BlockerType, WriteUp, WriteUpEvent


@admin.register(BlockerType)
class BlockerTypeAdmin(admin.ModelAdmin):
    list_display = ("label", "code", "sort_order", "is_active")
    list_editable = ("sort_order", "is_active")
    search_fields = ("label", "code")

    def has_delete_permission(self, request, obj=None):
        # A type in use is protected by its write-ups; switch it off instead.
        return obj is None or not obj.writeups.exists()


class WriteUpEventInline(admin.TabularInline):
    model = WriteUpEvent
    extra = 0
    can_delete = False
    fields = ("sequence", "kind", "actor", "from_status", "to_status", "note", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WriteUp)
class WriteUpAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "typical", "blocker_type", "lead_department", "year", "published_at")
    list_filter = ("status", "typical", "blocker_type", "year")
    search_fields = ("title",)
    inlines = [WriteUpEventInline]
    readonly_fields = [
        f.name for f in WriteUp._meta.concrete_fields if f.name not in ("search_tokens", "public_tokens")
    ]
    exclude = ("search_tokens", "public_tokens", "departments")

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
