"""Page forms of 常态建设: they shape and display input; the services validate and decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import conf
from .choices import Measure


class ItemCreateForm(forms.Form):
    title = forms.CharField(label=_("名称"), max_length=200, required=False)
    measure = forms.ChoiceField(label=_("整改措施"), choices=Measure.choices)
    description = forms.CharField(label=_("整改内容"), widget=forms.Textarea(attrs={"rows": 4}))
    department = forms.TypedChoiceField(label=_("责任部门"), coerce=int)
    days = forms.IntegerField(label=_("完成时限（工作日）"), min_value=1, initial=conf.item_days)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.pk, f"{d.region.name} · {d.name}") for d in departments]
        self.fields["days"].max_value = conf.item_max_days()


class ProgressForm(forms.Form):
    text = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 3}))


class SubmitForm(forms.Form):
    evidence = forms.CharField(label=_("完成情况"), widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField(label=_("佐证材料"), required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("验收意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}))


# One form per command, fields named like the service's inputs.
COMMAND_FORMS = {
    "progress": ProgressForm,
    "submit": SubmitForm,
    "accept": NoteForm,
    "reject": ReasonForm,
    "cancel": ReasonForm,
}
