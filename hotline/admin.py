"""Admin of the hotline app (superusers only).

- Platforms: a key and an HMAC secret are generated on creation and by “重新生成密钥”, shown once in a
  message; the key is stored as its digest, the secret encrypted.
- Work orders: read-only (they hold a requester's contact, masked in the list).
- Status callbacks: read-only; the dead-letter list is the ``status = dead`` filter, with a resend action.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from windowsvc.errors import ValidationFailed
from windowsvc.personal import mask_phone

from . import imports, outbox
from .models import HotlineCallback, HotlinePlatform, WorkOrder


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
        return False


@admin.register(HotlinePlatform)
class HotlinePlatformAdmin(SuperuserOnlyAdmin):
    list_display = ("name", "code", "window", "key_prefix", "callback_url", "is_active", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("name", "code", "key_prefix")
    readonly_fields = ("key_prefix", "last_used_at", "created_at", "updated_at")
    actions = ["regenerate_credentials"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        credentials = None if obj.key_hash else obj.set_new_credentials()
        super().save_model(request, obj, form, change)
        if credentials:
            self._show(request, obj, *credentials)

    def _show(self, request, obj, key: str, secret: str) -> None:
        messages.warning(
            request,
            _("“%(name)s”的密钥与签名密钥（只显示这一次，请妥善交给平台）：key=%(key)s secret=%(secret)s")
            % {"name": obj.name, "key": key, "secret": secret},
        )

    @admin.action(description=_("重新生成密钥（旧密钥立即失效）"))
    def regenerate_credentials(self, request, queryset):
        for platform in queryset:
            key, secret = platform.set_new_credentials()
            platform.save(update_fields=["key_prefix", "key_hash", "secret", "updated_at"])
            self._show(request, platform, key, secret)


class ImportForm(forms.Form):
    platform = forms.ModelChoiceField(
        label=_("平台"), queryset=HotlinePlatform.objects.filter(is_active=True)
    )
    file = forms.FileField(label=_("导出文件（.xlsx 或 .csv）"))
    commit = forms.BooleanField(label=_("预览无误时直接导入"), required=False)


@admin.register(WorkOrder)
class WorkOrderAdmin(SuperuserOnlyAdmin):
    """Work orders, read-only, and the import page of a platform's export (预览 → 导入, all or nothing)."""

    change_list_template = "admin/hotline/workorder/change_list.html"

    def get_urls(self):
        own = [path("import/", self.admin_site.admin_view(self.import_view), name="hotline_workorder_import")]
        return own + super().get_urls()

    def import_view(self, request):
        if not (request.user.is_active and request.user.is_superuser):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        preview = done = None
        file_error = ""
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            platform = form.cleaned_data["platform"]
            content = upload.read()
            try:
                preview = imports.import_preview(platform=platform, name=upload.name, content=content)
                if form.cleaned_data["commit"] and preview.ok:
                    done = imports.import_commit(platform=platform, name=upload.name, content=content)
            except ValidationFailed as exc:
                file_error = " ".join(m for ms in exc.errors.values() for m in ms)
        context = {
            **self.admin_site.each_context(request),
            "title": _("导入12345工单"),
            "opts": self.model._meta,
            "form": form,
            "preview": preview,
            "errors": preview.errors[:500] if preview else [],
            "done": done,
            "file_error": file_error,
        }
        return TemplateResponse(request, "admin/hotline/workorder/import.html", context)

    list_display = (
        "number",
        "platform",
        "case",
        "request_type",
        "masked_contact",
        "hotline_due_at",
        "created_at",
    )
    list_filter = ("platform", "request_type", "received_via")
    search_fields = ("number",)
    exclude = ("contact",)
    readonly_fields = [f.name for f in WorkOrder._meta.fields if f.name != "contact"]

    @admin.display(description=_("联系电话"))
    def masked_contact(self, obj):
        return mask_phone(obj.contact)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(HotlineCallback)
class HotlineCallbackAdmin(SuperuserOnlyAdmin):
    list_display = (
        "id",
        "platform",
        "work_order",
        "kind",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "kind", "platform")
    readonly_fields = [f.name for f in HotlineCallback._meta.fields]
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("重新发送（死信）"))
    def resend(self, request, queryset):
        count = outbox.callbacks_resend(callback_ids=queryset.values_list("pk", flat=True))
        messages.info(request, _("已重新排队 %(n)s 条。") % {"n": count})
