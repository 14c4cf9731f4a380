"""Commands declared once: each command's input in its row of ``workflow.RULES`` (``cases.commands``), its
targets beside its sources, one service whose signature is that input, and the API schema drawn from it.

The behaviour of each command through the API is in ``test_api_commands.py``; here: that the one
declaration really is what every layer uses, and that a handler cannot leave the table.
"""

from __future__ import annotations

import inspect
from datetime import date, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from cases import commands, services, workflow
from cases.api.serializers import command_input_serializer
from cases.choices import CaseStatus, EventKind, HandlingMode
from cases.commands import Kind, clean_inputs
from cases.forms import COMMAND_FORMS
from cases.models import Case, CaseEvent
from tests.factories import build_org, take_in
from windowsvc.errors import ValidationFailed

S = CaseStatus
E = EventKind


def test_every_command_on_a_case_has_one_service_whose_arguments_are_its_declared_input():
    assert set(services.SERVICES) == set(workflow.CASE_COMMANDS)
    for command, service in services.SERVICES.items():
        parameters = inspect.signature(service).parameters
        names = set(parameters) - set(services.CALL_ARGUMENTS)
        assert names == {i.name for i in workflow.RULES[command].inputs}, command
        for name in services.CALL_ARGUMENTS:
            assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
        # Required inputs have no default in the signature; optional ones do.
        for spec in workflow.RULES[command].inputs:
            has_default = parameters[spec.name].default is not inspect.Parameter.empty
            assert has_default != spec.required, (command, spec.name)


def test_intake_service_takes_the_declared_intake_input():
    parameters = set(inspect.signature(services.case_intake).parameters)
    declared = {i.name for i in workflow.RULES[E.INTAKE].inputs}
    assert parameters - {"actor", "idempotency_key"} == declared


def test_a_service_whose_signature_drifts_from_its_row_is_refused_at_import():
    with pytest.raises(ImproperlyConfigured, match="inputs of note"):

        @services.command(E.NOTE)
        def case_note(*, actor, case_id: int, text: str, colour: str = "", expected_version=None):
            """A note with an undeclared argument."""


def test_every_page_form_shows_only_declared_inputs():
    for command, form_class in COMMAND_FORMS.items():
        declared = {i.name for i in workflow.RULES[command].inputs} | {"expected_version"}
        # The reply form's ``outcome`` radio is how a page chooses between can_be_done / cannot_be_done.
        shown = set(form_class.base_fields) - {"outcome"}
        assert shown <= declared, (command, shown - declared)


def test_rows_name_sources_and_real_targets():
    statuses = set(S.values)
    for command, rule in workflow.RULES.items():
        assert rule.targets, command
        assert rule.targets <= statuses | {workflow.SAME}, command
        assert rule.sources <= statuses, command
    assert workflow.RULES[E.ASSIGN].leads_to(S.ROUTING, S.ASSIGNED)
    assert not workflow.RULES[E.ASSIGN].leads_to(S.ROUTING, S.RESOLVED)
    assert workflow.RULES[E.NOTE].leads_to(S.IN_PROGRESS, S.IN_PROGRESS)
    assert not workflow.RULES[E.NOTE].leads_to(S.IN_PROGRESS, S.CLOSED)


@pytest.mark.django_db
def test_a_handler_that_moves_a_case_outside_its_row_writes_nothing(monkeypatch):
    org = build_org()
    case = take_in(org)
    before = Case.objects.filter(pk=case.pk).values("status", "version").get()

    def rogue(ctx, data):
        return workflow.Outcome(S.CLOSED, data["text"])

    monkeypatch.setitem(workflow.HANDLERS, E.NOTE, rogue)
    with pytest.raises(AssertionError, match="not in RULES"):
        services.case_note(actor=org["v1_clerk"], case_id=case.pk, text="试图直接销号")
    assert Case.objects.filter(pk=case.pk).values("status", "version").get() == before
    assert CaseEvent.objects.filter(case=case).count() == before["version"]


def test_clean_inputs_types_every_field_and_reports_every_error_at_once():
    rule = workflow.RULES[E.COORDINATE]
    with pytest.raises(ValidationFailed) as refused:
        clean_inputs(rule.inputs, {"lead_department": "x", "participants": "3", "handling_mode": "standard"})
    assert set(refused.value.errors) == {"lead_department", "decisions", "participants", "handling_mode"}
    values = clean_inputs(
        rule.inputs,
        {
            "lead_department": "7",
            "decisions": "  由住建局牵头  ",
            "assisting_departments": [3, "3", 4],
            "held_at": "2026-12-01T09:30:00+08:00",
            "handling_mode": HandlingMode.SPECIAL,
        },
    )
    assert values["lead_department"] == 7
    assert values["decisions"] == "由住建局牵头"
    assert values["assisting_departments"] == [3, 4]
    assert values["participants"] == []
    assert values["held_at"] == datetime.fromisoformat("2026-12-01T09:30:00+08:00")


@pytest.mark.parametrize(
    ("spec", "raw", "expected"),
    [
        (commands.flag("x"), "on", True),
        (commands.flag("x"), None, False),
        (commands.flag("x", default=None), "", None),
        (commands.number("x", max_value=60), "12", 12),
        (commands.when("x"), "2027-01-04", date(2027, 1, 4)),
        (commands.ref("x"), None, None),
    ],
)
def test_one_value_cleaned(spec, raw, expected):
    assert spec.clean(raw) == expected


@pytest.mark.parametrize(
    ("spec", "raw"),
    [
        (commands.number("x", max_value=60), 61),
        (commands.number("x"), 0),
        (commands.number("x"), True),
        (commands.ref("x"), -3),
        (commands.text("x", max_length=3), "四个汉字"),
        (commands.when("x"), "2027-01-04T09:00:00"),  # naive: whose 9 o'clock?
        (commands.moment("x"), "yesterday"),
        (commands.choice("x", HandlingMode, allowed=("coordinated",)), "standard"),
    ],
)
def test_one_value_refused(spec, raw):
    with pytest.raises(ValueError):
        spec.clean(raw)


def test_the_api_schema_of_a_command_is_its_declaration():
    serializer = command_input_serializer(E.SUSPEND)()
    fields = serializer.fields
    assert set(fields) == {"reason", "reason_code", "days", "expected_version"}
    assert fields["reason_code"].required and not fields["days"].required
    assert fields["days"].max_value == 60
    assert command_input_serializer(E.SUSPEND) is command_input_serializer(E.SUSPEND)


@pytest.mark.django_db
def test_a_required_input_missing_from_a_page_form_is_the_services_field_error():
    org = build_org()
    case = take_in(org)
    form_class = COMMAND_FORMS[E.NOT_ACCEPT]
    form = form_class(
        data={"not_accept-reason": "", "not_accept-guidance": ""}, case=case, user=org["v1_clerk"]
    )
    # The form shapes: it accepts the post and leaves the decision to the service …
    assert form.is_valid(), form.errors
    assert form.fields["reason"].marked_required and form.fields["reason"].widget.attrs["required"]
    with pytest.raises(ValidationFailed) as refused:
        form.run()
    assert set(refused.value.errors) == {"reason", "guidance"}
    assert Case.objects.get(pk=case.pk).status == S.REGISTERED


def test_every_input_kind_has_a_cleaner_and_a_schema_field():
    for kind in Kind:
        assert kind in commands._CLEANERS
    assert timezone.is_aware(commands.moment("x").clean("2026-12-01T09:30:00+08:00"))
