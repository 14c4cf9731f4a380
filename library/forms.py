"""Page forms of the library: they shape and display; the services validate and decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from routing.models import Department

from .models import BlockerType


class WriteUpForm(forms.Form):
    title = forms.CharField(label=_("案例标题"), max_length=200)
    problem = forms.CharField(label=_("反映问题"), widget=forms.Textarea(attrs={"rows": 4}))
    blocker_type = forms.ModelChoiceField(
        label=_("卡点类型"), queryset=BlockerType.objects.filter(is_active=True)
    )
    blocker_note = forms.CharField(
        label=_("卡点说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("为什么按正常流程办不成。"),
    )
    solution = forms.CharField(label=_("解决办法"), widget=forms.Textarea(attrs={"rows": 4}))
    basis = forms.CharField(
        label=_("政策或法律依据"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("涉及部门"), queryset=Department.objects.none(), required=False
    )
    lessons = forms.CharField(label=_("经验启示"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    enterprise_consent = forms.BooleanField(
        label=_("企业同意公开名称"), required=False, help_text=_("未经企业同意，公开版本不出现企业名称。")
    )

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = (
            departments if departments is not None else Department.objects.none()
        )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class QuarterForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    quarter = forms.IntegerField(label=_("季度"), min_value=1, max_value=4)
