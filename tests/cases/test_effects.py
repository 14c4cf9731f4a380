"""The side-effect hooks: in-transaction handlers see the event; on-commit handlers run only after commit."""

import pytest
from django.db import transaction

from cases import effects
from cases.choices import EventKind
from tests.factories import take_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded():
    calls = {"in": [], "commit": []}

    def in_transaction(event):
        calls["in"].append((event.kind, transaction.get_connection().in_atomic_block))

    def on_commit(event_id):
        calls["commit"].append(event_id)

    effects.register([EventKind.INTAKE, EventKind.CLASSIFY])(in_transaction)
    effects.register([EventKind.INTAKE], on_commit=True)(on_commit)
    yield calls
    effects.unregister(in_transaction)
    effects.unregister(on_commit)


def test_hooks_run_once_per_event(org, recorded, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = take_in(org)
    assert recorded["in"] == [(EventKind.INTAKE, True)]
    assert recorded["commit"] == [case.events.get().pk]


def test_no_on_commit_effect_for_a_rolled_back_command(org, recorded, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        take_in(org)
        raise RuntimeError("the surrounding transaction fails after the event was written")
    assert recorded["in"] == [(EventKind.INTAKE, True)]
    assert callbacks == [] and recorded["commit"] == []


def test_a_failing_on_commit_handler_does_not_fail_the_command(org, django_capture_on_commit_callbacks):
    def broken(event_id):
        raise RuntimeError("channel down")

    effects.register([EventKind.INTAKE], on_commit=True)(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            case = take_in(org)
    finally:
        effects.unregister(broken)
    assert case.pk is not None
