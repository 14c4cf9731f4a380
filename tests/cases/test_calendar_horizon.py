"""The calendar's horizon end to end, on PostgreSQL with the real services (docs/DEADLINES.md "The
calendar's horizon"):

(i) a case taken in after hours on 2026-12-31 gets a provisional deadline that skips 2027-01-01 (元旦);
    importing 2027 moves it, its assignments, timers and supervision fact to the exact date in one
    set-based pass and clears the flag;
(ii) the daily beat check tells each county administrator and superuser once a day, in-app, however
    often it runs or the pages render; a new day tells them again while the horizon is near;
(iii) the banner shows on the supervision dashboard and the admin index within 60 days of the horizon
    and disappears after the import.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.choices import AssignmentRole, TimerKind
from cases.models import Case, CaseTimer
from notifications.choices import Channel, TemplateCode
from notifications.models import Notification
from routing.calendar import (
    CalendarHorizonAlert,
    calendar_horizon,
    calendar_horizon_warning,
    calendar_snapshot,
)
from routing.deadlines import add_working_days
from routing.tasks import calendar_horizon_check_task
from supervision.models import CaseFact
from tests.factories import take_in

from .deadline_helpers import at, bj, local, routed_case, seed_policies

pytestmark = pytest.mark.django_db

# A small 2027 schedule as the State Council's notice would give it (the dates here are the test's own):
# 元旦 off 01-01..01-03 with a make-up working Saturday 01-09; 春节 off 02-05..02-11, make-up 02-20.
SCHEDULE_2027 = """\
year: 2027
holidays:
  - name: 元旦
    off: [2027-01-01..2027-01-03]
    work: [2027-01-09]
  - name: 春节
    off: [2027-02-05..2027-02-11]
    work: [2027-02-20]
"""


@pytest.fixture(autouse=True)
def _policies(db):
    seed_policies()


@pytest.fixture
def schedule_2027(tmp_path):
    path = tmp_path / "calendar-2027.yaml"
    path.write_text(SCHEDULE_2027, encoding="utf-8")
    return path


# --- (i) provisional past the horizon, exact after the import ------------------------------------------


def test_after_hours_on_new_years_eve_the_deadline_skips_new_years_day_and_the_import_makes_it_exact(
    org, schedule_2027
):
    case = routed_case(org, bj(12, 31, 18))  # after close of business: counts from 2027-01-04
    with at(bj(12, 31, 18)):
        others = [take_in(org, "v1") for _ in range(2)]
        emergency = take_in(org, "v1", category=org.category, matter_kind="emergency", complexity="general")
    in_range = routed_case(org, bj(3, 2, 9))
    lead = case.assignments.get(role=AssignmentRole.LEAD)
    # Provisional: 01-01 (元旦) is off although 2027 is not loaded; the working days are 01-05 … 01-08 and
    # 01-11 (Monday): no make-up Saturday is guessed.
    assert local(case.due_at) == bj(1, 11, 17, 30, year=2027)
    assert local(lead.due_at) == bj(1, 11, 17, 30, year=2027)
    assert case.deadline_provisional is True
    emergency.refresh_from_db()
    assert local(emergency.due_at) == bj(1, 4, 17, 30, year=2027)  # same day = the next working day
    assert emergency.deadline_provisional is True
    assert all(Case.objects.get(pk=other.pk).deadline_provisional for other in others)
    assert CalendarHorizonAlert.objects.get(year=2027).resolved_at is None
    fact_before = CaseFact.objects.get(pk=case.pk).due_at
    assert fact_before == case.due_at

    with CaptureQueriesContext(connection) as queries, at(bj(12, 31, 19)):
        call_command("import_calendar", str(schedule_2027))
    case.refresh_from_db()
    lead.refresh_from_db()
    # Exact: the make-up Saturday 01-09 is the fifth working day.
    assert local(case.due_at) == bj(1, 9, 17, 30, year=2027)
    assert local(case.reply_due_at) == bj(1, 9, 17, 30, year=2027)
    assert local(lead.due_at) == bj(1, 9, 17, 30, year=2027)
    assert case.deadline_provisional is False
    assert case.next_alarm_at == case.yellow_at
    reply_timer = CaseTimer.objects.get(case=case, kind=TimerKind.REPLY, stopped_at__isnull=True)
    assert reply_timer.due_at == case.reply_due_at
    assert CaseFact.objects.get(pk=case.pk).due_at == case.due_at
    for other in [*others, emergency]:
        other.refresh_from_db()
        assert other.deadline_provisional is False
    assert local(emergency.due_at) == bj(1, 4, 17, 30, year=2027)
    assert CalendarHorizonAlert.objects.get(year=2027).resolved_at is not None
    # Set-based: one UPDATE of the cases table for all of them (not one save per case), none of a case
    # that was never provisional.
    case_updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "cases_case"')]
    assert len(case_updates) == 1
    assert f'"cases_case"."id" = {in_range.pk}' not in case_updates[0]
    assert case.version == case.events.count()  # no event: nobody acted


def test_a_failed_import_changes_no_deadline(org, tmp_path):
    case = routed_case(org, bj(12, 31, 18))
    path = tmp_path / "bad.yaml"
    path.write_text(SCHEDULE_2027.replace("2027-01-09", "2027-01-08"), encoding="utf-8")  # a Friday
    with pytest.raises(Exception, match="调休上班"):
        call_command("import_calendar", str(path))
    case.refresh_from_db()
    assert (local(case.due_at), case.deadline_provisional) == (bj(1, 11, 17, 30, year=2027), True)
    assert calendar_horizon() == date(2026, 12, 31)


# --- (ii) the daily check and its notice -----------------------------------------------------------------


def horizon_notices():
    return Notification.objects.filter(template_code=TemplateCode.CALENDAR_HORIZON)


def test_the_beat_schedule_runs_the_horizon_check():
    entry = settings.CELERY_BEAT_SCHEDULE["calendar-horizon-check"]
    assert entry["task"] == "routing.tasks.calendar_horizon_check"
    assert calendar_horizon_check_task.name == entry["task"]


def test_each_administrator_is_told_once_a_day_while_the_horizon_is_near(org, client):
    with at(bj(6, 1, 9)):  # far from the horizon: nothing
        assert calendar_horizon_check_task() is None
    assert not horizon_notices().exists()

    with at(bj(11, 20, 8, 5)):
        assert calendar_horizon_check_task() == 2027
        assert calendar_horizon_check_task() == 2027  # beat's repeat the same day
        client.force_login(org["county_supervisor"])
        for _ in range(3):  # pages only read
            assert client.get("/supervision/?region=330681").status_code == 200
    told = horizon_notices()
    assert sorted(told.values_list("recipient_user_id", flat=True)) == sorted(
        [org["root"].pk, org["county_admin"].pk]
    )  # not the town's administrator, not supervisors
    assert set(told.values_list("channel", flat=True)) == {Channel.IN_APP}
    assert "2027" in told.first().subject

    with at(bj(11, 21, 8, 5)):
        calendar_horizon_check_task()
    assert horizon_notices().count() == 4
    assert CalendarHorizonAlert.objects.filter(year=2027).count() == 1


def test_after_the_import_nobody_is_told(org, schedule_2027):
    with at(bj(11, 20, 9)):
        call_command("import_calendar", str(schedule_2027))
        assert calendar_horizon_check_task() is None
    assert not horizon_notices().exists()


# --- (iii) the banner --------------------------------------------------------------------------------------


BANNER = 'class="calendar-horizon-banner"'


def test_the_banner_shows_within_sixty_days_and_disappears_after_the_import(org, client, schedule_2027):
    supervisor, root = org["county_supervisor"], org["root"]

    def pages():
        client.force_login(supervisor)
        dashboard = client.get("/supervision/?region=330681").content.decode()
        client.force_login(root)
        admin = client.get("/admin/").content.decode()
        return BANNER in dashboard, BANNER in admin, admin

    with at(bj(6, 1, 9)):
        assert calendar_horizon_warning() is None
        assert pages()[:2] == (False, False)
    with at(bj(11, 2, 9)):  # 59 days before 2026-12-31
        dashboard, admin, text = pages()
        assert (dashboard, admin) == (True, True)
        assert "2026-12-31" in text and "2027" in text
        call_command("import_calendar", str(schedule_2027))
        assert pages()[:2] == (False, False)
    assert not horizon_notices().exists()  # rendering never notifies


def test_a_year_a_deadline_needed_keeps_the_banner_until_it_is_loaded(org):
    with at(bj(3, 2, 9)):
        assert calendar_horizon_warning() is None
        # A date far ahead (a follow-up date, a long suspension) needs 2027 early: the snapshot's hook
        # records the year, and the warning (banner, daily notice) holds until 2027 is loaded.
        add_working_days(bj(12, 30, 9), 3, calendar=calendar_snapshot())
        warning = calendar_horizon_warning()
        assert warning is not None and warning.years == (2027,)
        assert calendar_horizon_check_task() == 2027
    assert horizon_notices().count() == 2
