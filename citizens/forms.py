"""Forms of the public pages (status lookup, satisfaction survey)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.choices import Satisfaction

from .lookup import PHONE_LAST4_RE, Credentials, clean_credentials


class StatusForm(forms.Form):
    """Tracking number + one secret: the query code, or 4 digits = the requester's phone's last four."""

    tracking_number = forms.CharField(
        label=_("受理编号"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}),
    )
    secret = forms.CharField(
        label=_("查询码或手机号后四位"),
        max_length=16,
        help_text=_("回执上的 8 位查询码；没有回执时，填写登记时所留手机号的后四位。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def clean(self):
        data = super().clean()
        number, secret = data.get("tracking_number", ""), (data.get("secret") or "").strip()
        if PHONE_LAST4_RE.match(secret):
            credentials, errors = clean_credentials(number, "", secret)
        else:
            credentials, errors = clean_credentials(number, secret, "")
        for field, messages in errors.items():
            target = "tracking_number" if field == "tracking_number" else "secret"
            for message in messages:
                self.add_error(target, message)
        self.credentials: Credentials | None = credentials
        return data


class SurveyForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("您对办理结果是否满意？"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("意见和建议"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("选择“不满意”时请说明原因，我们将重新办理。"),
    )

    def clean(self):
        data = super().clean()
        if data.get("satisfaction") == Satisfaction.UNSATISFIED and not (data.get("comment") or "").strip():
            self.add_error("comment", _("请说明不满意的原因。"))
        return data
