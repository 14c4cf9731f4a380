"""Admin: the outbox (read-only, resend for dead and failed rows), message template overrides, preferences.

Phone numbers and e-mail addresses of requesters are never shown: the outbox shows the masked form.
"""

from django.contrib import admin, messages
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from windowsvc.personal import mask_phone

from .choices import Language, TemplateCode
from .defaults import DEFAULT_TEMPLATES, REQUIRED_VARIABLES, SAMPLE_CONTEXT
from .models import ChannelPreference, MessageTemplate, Notification
from .rendering import render_texts, sms_segments
from .services import notification_resend


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "template_code",
        "channel",
        "recipient",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "emergency",
    ]
    list_filter = ["status", "channel", "template_code", "emergency", "language"]
    search_fields = ["=event_key", "=id"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient_user"]
    actions = ["resend"]
    fields = [
        "event_key",
        "template_code",
        "channel",
        "language",
        "recipient",
        "emergency",
        "status",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "sent_at",
        "provider_message_id",
        "read_at",
        "last_error",
        "subject",
        "body",
        "sms_segments",
        "idempotency_key",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("接收人"))
    def recipient(self, obj: Notification) -> str:
        return obj.recipient_label

    def has_add_permission(self, request) -> bool:
        # Rows are written by the services in the transaction of their cause, never by hand.
        return False

    @admin.action(description=_("重新发送(已放弃或发送失败的通知)"), permissions=["change"])
    def resend(self, request, queryset):
        chosen = list(queryset.values_list("pk", flat=True))
        count = notification_resend(notification_ids=chosen)
        skipped = len(chosen) - count
        self.message_user(
            request,
            ngettext("已重新排队 %(count)d 条通知。", "已重新排队 %(count)d 条通知。", count)
            % {"count": count},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                _("%(count)d 条通知不是“已放弃”或“发送失败”状态，未重新发送。") % {"count": skipped},
                messages.WARNING,
            )


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    """Overrides of the shipped texts; a new row starts from the shipped default of its code and language."""

    list_display = ["code", "language", "is_active", "sms_parts", "updated_at"]
    list_filter = ["code", "language", "is_active"]
    fields = [
        "code",
        "language",
        "is_active",
        "subject",
        "body",
        "sms",
        "variables",
        "shipped_default",
        "preview",
    ]
    readonly_fields = ["variables", "shipped_default", "preview"]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        code = initial.get("code") or TemplateCode.RECEIPT
        language = initial.get("language") or Language.ZH_HANS
        default = DEFAULT_TEMPLATES.get(code, {}).get(language)
        if default is not None:
            initial.update(
                code=code, language=language, subject=default.subject, body=default.body, sms=default.sms
            )
        return initial

    @admin.display(description=_("可用变量"))
    def variables(self, obj: MessageTemplate) -> str:
        required = REQUIRED_VARIABLES.get(obj.code, ()) if obj and obj.code else ()
        optional = sorted(set(SAMPLE_CONTEXT) - set(required))
        return format_html(
            "{}: {}<br>{}: {}",
            _("必有"),
            ", ".join(required) or "—",
            _("可能有"),
            ", ".join(optional),
        )

    @admin.display(description=_("系统默认文本"))
    def shipped_default(self, obj: MessageTemplate) -> str:
        default = DEFAULT_TEMPLATES.get(obj.code, {}).get(obj.language) if obj and obj.code else None
        if default is None:
            return "—"
        return format_html_join(
            "",
            "<p><b>{}</b><br><code>{}</code></p>",
            [("subject", default.subject), ("body", default.body), ("sms", default.sms)],
        )

    @admin.display(description=_("示例效果"))
    def preview(self, obj: MessageTemplate) -> str:
        if not obj or not obj.pk:
            return _("保存后显示。")
        rendered = render_texts(obj.texts(), SAMPLE_CONTEXT, obj.language)
        return format_html(
            # Line breaks as <br>, not a style attribute: the admin runs under the CSP (no inline styles).
            '<p><b>{}</b></p><p class="message-body">{}</p><p>{} ({} / {})</p>',
            rendered.subject,
            linebreaksbr(rendered.body, autoescape=True),
            rendered.sms,
            len(rendered.sms),
            ngettext("%(n)d 条短信", "%(n)d 条短信", rendered.sms_segments) % {"n": rendered.sms_segments},
        )

    @admin.display(description=_("短信条数(示例)"))
    def sms_parts(self, obj: MessageTemplate) -> int:
        return sms_segments(render_texts(obj.texts(), SAMPLE_CONTEXT, obj.language).sms)


@admin.register(ChannelPreference)
class ChannelPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_enabled", "sms_enabled", "masked_phone", "language"]
    list_filter = ["email_enabled", "sms_enabled", "language"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]

    @admin.display(description=_("手机号码"))
    def masked_phone(self, obj: ChannelPreference) -> str:
        return mask_phone(obj.phone)
