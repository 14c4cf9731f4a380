"""The notices table decides every event kind: a handler, or an explicit ``Silent`` with its reason."""

from cases import effects, notices
from cases.choices import CASE_EVENT_KINDS, SWEEP_EVENT_KINDS, SweepEventKind


def test_every_event_kind_has_a_notice_decision():
    kinds = {value for value, _label in CASE_EVENT_KINDS}
    missing = sorted(kinds - set(notices.NOTICES))
    assert not missing, f"decide who is told (a handler or Silent) in cases.notices.NOTICES: {missing}"
    assert notices.undecided_kinds() == []


def test_the_table_names_only_event_kinds():
    kinds = {value for value, _label in CASE_EVENT_KINDS}
    assert set(notices.NOTICES) <= kinds


def test_each_decision_is_a_handler_or_a_reasoned_silence():
    for kind, notice in notices.NOTICES.items():
        if isinstance(notice, notices.Silent):
            assert notice.reason.strip(), f"{kind}: say why nobody is told"
        else:
            assert callable(notice), kind


def test_sweep_steps_are_silent_except_the_ones_a_supervisor_also_runs():
    # The sweep tells its own recipients; 催办 / 督办 are also commands, whose handlers skip the sweep's steps.
    by_hand = {SweepEventKind.URGE, SweepEventKind.SUPERVISE}
    for kind in SWEEP_EVENT_KINDS:
        assert isinstance(notices.NOTICES[kind], notices.Silent) is (kind not in by_hand), kind


def test_notices_are_registered_for_every_kind():
    # ``CasesConfig.ready`` registers the dispatcher in transaction for every kind, before anything else.
    for value, _label in CASE_EVENT_KINDS:
        handlers = effects._in_transaction.get(value, [])
        assert handlers and handlers[0] is notices.notify_event, value
