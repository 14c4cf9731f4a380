"""Forms of the public pages (status lookup, satisfaction survey)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.choices import RequesterKind, Satisfaction

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


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe); ``online_submit`` checks each."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class OnlineForm(forms.Form):
    """网上反映: shapes the page's input; ``citizens.online.online_submit`` checks and decides."""

    kind = forms.ChoiceField(
        label=_("反映人类型"),
        choices=RequesterKind.choices,
        initial=RequesterKind.PERSON,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label=_("姓名/企业名称"), max_length=100)
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=18,
        required=False,
        help_text=_("个人填写，可不填"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=18,
        required=False,
        help_text=_("企业必填"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=50, required=False)
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    sms_code = forms.CharField(
        label=_("短信验证码"),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    address = forms.CharField(label=_("联系地址"), max_length=200, required=False)
    region = forms.ChoiceField(label=_("事项所在区划"), choices=())
    title = forms.CharField(label=_("事项标题"), max_length=200)
    description = forms.CharField(
        label=_("反映内容"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("办理什么事、在哪里办、为什么没办成"),
    )
    expectation = forms.CharField(label=_("诉求"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    attachments = MultipleFileField(label=_("附件"), required=False, help_text=_("图片或 PDF，最多 5 个"))
    consent = forms.BooleanField(label=_("我已阅读并同意个人信息保护说明"), required=False)

    def __init__(self, *args, region_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("请选择")), *region_choices]
