"""Admin of the public side.

- Open311 integrations: superusers only (a key lets a system create cases). A new key is generated on
  creation and by the “重新生成密钥” action, shown once in a message, and only its digest is stored.
- Submissions: read-only, superusers only (they may hold a queued requester's data).
- Published cases: administrators publish cases they can see, with an anonymised description; the list is
  scoped by ``Case.objects.visible_to``.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from cases.models import Case

from .models import Open311Integration, Open311Submission, PublishedCase


class SuperuserOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(Open311Integration)
class Open311IntegrationAdmin(SuperuserOnlyAdmin):
    list_display = ("name", "window", "key_prefix", "queue_requests", "is_active", "last_used_at")
    list_filter = ("is_active", "queue_requests")
    search_fields = ("name", "key_prefix")
    readonly_fields = ("key_prefix", "last_used_at", "created_at", "updated_at")
    actions = ["regenerate_key"]

    def save_model(self, request, obj, form, change):
        key = None if obj.key_hash else obj.set_new_key()
        super().save_model(request, obj, form, change)
        if key:
            self._show_key(request, obj, key)

    def _show_key(self, request, obj, key: str) -> None:
        messages.warning(
            request,
            _("“%(name)s”的 API 密钥（只显示这一次，请妥善交给接入方）：%(key)s")
            % {"name": obj.name, "key": key},
        )

    @admin.action(description=_("重新生成密钥（旧密钥立即失效）"))
    def regenerate_key(self, request, queryset):
        for integration in queryset:
            key = integration.set_new_key()
            integration.save(update_fields=["key_prefix", "key_hash", "updated_at"])
            self._show_key(request, integration, key)


@admin.register(Open311Submission)
class Open311SubmissionAdmin(SuperuserOnlyAdmin):
    list_display = ("created_at", "integration", "service_code", "status", "case", "processed_at")
    list_filter = ("status", "integration")
    readonly_fields = [f.name for f in Open311Submission._meta.fields if f.name not in ("token", "data")]
    exclude = ("token", "data")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PublishedCase)
class PublishedCaseAdmin(admin.ModelAdmin):
    list_display = ("case", "published_by", "created_at")
    search_fields = ("case__tracking_number",)
    raw_id_fields = ("case",)
    readonly_fields = ("published_by", "created_at", "updated_at")

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("case", "published_by")
        return queryset.filter(case__in=Case.objects.visible_to(request.user).values("pk"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "case":
            kwargs["queryset"] = Case.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.published_by = request.user
        super().save_model(request, obj, form, change)
