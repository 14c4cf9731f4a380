"""The escalation ladder's one vocabulary: each step (``AlarmLevel``) is exactly one sweep event kind
(``SweepEventKind``) and back (``cases.choices.STEP_EVENT``)."""

from __future__ import annotations

import pytest

from cases.choices import EVENT_STEP, STEP_EVENT, AlarmLevel, SweepEventKind, event_step, step_event

STEPS = [level for level in AlarmLevel if level != AlarmLevel.NONE]


def test_every_step_but_none_maps_to_exactly_one_sweep_event_kind_and_back():
    assert set(STEP_EVENT) == set(STEPS)
    assert sorted(STEP_EVENT.values()) == sorted(SweepEventKind)  # one-to-one, every kind used once
    for level in STEPS:
        assert event_step(step_event(level)) == level
    for kind in SweepEventKind:
        assert step_event(event_step(kind)) == kind
    assert {kind: level for level, kind in STEP_EVENT.items()} == EVENT_STEP


def test_a_step_and_its_event_kind_read_the_same():
    for level, kind in STEP_EVENT.items():
        assert level.label == kind.label


def test_none_is_no_step():
    with pytest.raises(KeyError):
        step_event(AlarmLevel.NONE)
    assert step_event(int(AlarmLevel.RED)) == SweepEventKind.URGE  # stored ints are accepted
