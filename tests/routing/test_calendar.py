"""The working-day calendar table: seeding, importing a yearly schedule, the snapshot cache, the admin."""

from datetime import date, datetime, time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

import routing.admin_calendar  # noqa: F401  (registers before the admin URLs are built; routing/admin.py imports it too)
from routing.calendar import (
    BusinessHours,
    CalendarError,
    CalendarHorizonAlert,
    CalendarImportError,
    CalendarSource,
    DayReason,
    WorkingDay,
    calendar_horizon,
    calendar_horizon_check,
    calendar_import,
    calendar_seed,
    calendar_snapshot,
    parse_schedule,
    working_day_set,
)
from routing.choices import StaffRole, Tier
from routing.deadlines import CALENDAR_TIME_ZONE, add_working_days
from routing.management.commands.seed_calendar import parse_years
from routing.models import Region

DEMO_2027 = Path(__file__).resolve().parents[2] / "demo" / "calendar-2027.yaml"
BJ = CALENDAR_TIME_ZONE
MAKE_UP_DAYS_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]

pytestmark = pytest.mark.django_db


def national(day: str) -> WorkingDay:
    return WorkingDay.objects.get(date=date.fromisoformat(day), region=None)


def table_state():
    return list(
        WorkingDay.objects.order_by("date", "region_id").values_list(
            "date", "region_id", "is_working_day", "reason", "holiday_name", "source", "updated_at"
        )
    )


# --- Seeded on migrate -----------------------------------------------------------------------------------


def test_a_fresh_database_has_the_package_calendar():
    rows = WorkingDay.objects.filter(region=None)
    assert rows.count() == (date(2026, 12, 31) - date(2004, 1, 1)).days + 1
    assert calendar_horizon() == date(2026, 12, 31)
    assert set(rows.values_list("source", flat=True).distinct()) == {CalendarSource.CHINESE_CALENDAR}


def test_2026_has_its_six_make_up_working_days():
    adjusted = WorkingDay.objects.filter(region=None, date__year=2026, reason=DayReason.ADJUSTED_WORKDAY)
    assert sorted(d.isoformat() for d in adjusted.values_list("date", flat=True)) == MAKE_UP_DAYS_2026
    for day in MAKE_UP_DAYS_2026:
        row = national(day)
        assert row.is_working_day is True
        assert date.fromisoformat(day).weekday() >= 5
    assert national("2026-10-10").holiday_name == "国庆节"
    assert national("2026-02-14").holiday_name == "春节"


@pytest.mark.parametrize(
    ("day", "working", "reason", "name"),
    [
        ("2026-10-01", False, DayReason.HOLIDAY, "国庆节"),
        ("2026-02-17", False, DayReason.HOLIDAY, "春节"),
        ("2026-10-11", False, DayReason.WEEKEND, ""),
        ("2026-10-08", True, DayReason.WORKDAY, ""),
    ],
)
def test_days_carry_their_reason(day, working, reason, name):
    row = national(day)
    assert (row.is_working_day, row.reason, row.holiday_name) == (working, reason, name)


# --- seed_calendar ----------------------------------------------------------------------------------------


def test_seed_calendar_is_idempotent_and_keeps_admin_edits(capsys):
    working_day_set(day=date(2026, 3, 16), reason=DayReason.HOLIDAY, holiday_name="测试", note="admin edit")
    national("2026-03-17").delete()
    call_command("seed_calendar", "--years", "2026")
    assert "1 days added, 0 corrected" in capsys.readouterr().out
    assert national("2026-03-17").reason == DayReason.WORKDAY
    edited = national("2026-03-16")
    assert (edited.reason, edited.source) == (DayReason.HOLIDAY, CalendarSource.ADMIN)
    before = table_state()
    call_command("seed_calendar")
    assert "0 days added, 0 corrected" in capsys.readouterr().out
    assert table_state() == before


def test_seed_corrects_rows_still_sourced_from_the_package():
    WorkingDay.objects.filter(date=date(2026, 10, 10), region=None).update(
        is_working_day=False, reason=DayReason.WEEKEND, updated_at=timezone.now()
    )
    result = calendar_seed(years=[2026])
    assert (result.created, result.updated) == (0, 1)
    assert national("2026-10-10").is_working_day is True


def test_seed_calendar_refuses_a_year_the_package_does_not_know():
    with pytest.raises(CommandError, match="import_calendar"):
        call_command("seed_calendar", "--years", "2026-2027")
    with pytest.raises(CalendarError):
        calendar_seed(years=[2027])
    assert calendar_horizon() == date(2026, 12, 31)


def test_parse_years():
    assert parse_years("2024-2026") == [2024, 2025, 2026]
    assert parse_years("2020,2024-2025") == [2020, 2024, 2025]
    with pytest.raises(CommandError):
        parse_years("2026-2024")
    with pytest.raises(CommandError):
        parse_years("twenty")


# --- import_calendar --------------------------------------------------------------------------------------


def test_import_of_the_2027_example_extends_the_horizon_and_deadlines_are_no_longer_provisional(capsys):
    before = add_working_days(datetime(2026, 12, 30, 10, tzinfo=BJ), 5, calendar=calendar_snapshot())
    assert before.provisional is True
    assert CalendarHorizonAlert.objects.get(year=2027).resolved_at is None

    call_command("import_calendar", str(DEMO_2027), "--allow-example")
    assert "2027: 29 days off, 6 make-up working days" in capsys.readouterr().out
    assert calendar_horizon() == date(2027, 12, 31)
    assert WorkingDay.objects.filter(region=None, date__year=2027).count() == 365

    after = add_working_days(datetime(2026, 12, 30, 10, tzinfo=BJ), 5, calendar=calendar_snapshot())
    # 12-31, (元旦 01-01…01-03 skipped), 01-04, 01-05, 01-06, 01-07.
    assert after.local() == datetime(2027, 1, 7, 17, 30, tzinfo=BJ)
    assert after.provisional is False
    # The example's make-up Sunday counts.
    assert add_working_days(datetime(2027, 2, 4, 10, tzinfo=BJ), 1, calendar=calendar_snapshot()).local() == (
        datetime(2027, 2, 14, 17, 30, tzinfo=BJ)
    )
    assert CalendarHorizonAlert.objects.get(year=2027).resolved_at is not None
    row = national("2027-02-14")
    assert (row.is_working_day, row.reason, row.source, row.note) == (
        True,
        DayReason.ADJUSTED_WORKDAY,
        CalendarSource.IMPORT,
        "calendar-2027.yaml",
    )

    # Idempotent: the same file again changes nothing.
    state = table_state()
    call_command("import_calendar", str(DEMO_2027), "--allow-example")
    assert "0 days added, 0 changed" in capsys.readouterr().out
    assert table_state() == state


def test_the_example_file_is_refused_without_allow_example():
    with pytest.raises(CommandError, match="example"):
        call_command("import_calendar", str(DEMO_2027))
    assert calendar_horizon() == date(2026, 12, 31)


def test_dry_run_checks_and_writes_nothing(capsys):
    call_command("import_calendar", str(DEMO_2027), "--allow-example", "--dry-run")
    assert "is valid" in capsys.readouterr().out
    assert calendar_horizon() == date(2026, 12, 31)


MALFORMED = """\
year: 2027
holidays:
  - name: 元旦
    off: [2027-01-01..2027-01-03]
  - name: 春节
    off: [2027-02-05..2027-02-13]
    work: [2027-02-15]
  - name: 清明节
    off: [2027-04-31]
  - name: 国庆节
    off: [2026-10-01]
    holiday: yes
"""


def test_a_malformed_file_gives_every_error_with_its_line_and_writes_nothing(tmp_path):
    path = tmp_path / "calendar-2027.yaml"
    path.write_text(MALFORMED, encoding="utf-8")
    state = table_state()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_calendar", str(path))
    message = str(excinfo.value)
    assert "nothing written" in message
    assert f"{path}:7: " in message and "星期一" in message  # a make-up day on a Monday
    assert f"{path}:9: " in message and "2027-04-31" in message  # no such date
    assert f"{path}:11: " in message and "2026-10-01" in message  # not in 2027
    assert f"{path}:12: " in message and "holiday" in message  # unknown key
    assert table_state() == state
    assert calendar_horizon() == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("year: 2027\nholidays:\n  - name: 元旦\n    off: [2027-01-01\n", 5, "YAML"),
        ("year: 2027\nholidays:\n  - name: 元旦\n    off: [2027-01-01..2027-03-01]\n", 4, "31"),
        (
            "year: 2027\nholidays:\n  - name: 元旦\n    off: [2027-01-03..2027-01-01]\n",
            4,
            "2027-01-03..2027-01-01",
        ),
        (
            "year: 2027\nholidays:\n  - name: 元旦\n    off: [2027-01-01]\n  - name: 又一个\n    off: [2027-01-01]\n",
            6,
            "第 4 行",
        ),
        ("year: 27\nholidays:\n  - name: 元旦\n    off: [2027-01-01]\n", 1, "27"),
        ("year: 2027\nholidays:\n  - off: [2027-01-01]\n", 3, "name"),
    ],
)
def test_parse_errors_point_at_the_line(text, line, fragment):
    with pytest.raises(CalendarImportError) as excinfo:
        parse_schedule(text, fmt="yaml")
    assert any(number == line and fragment in message for number, message in excinfo.value.errors), (
        excinfo.value.errors
    )


def test_csv_schedules_import_too(tmp_path, capsys):
    path = tmp_path / "2027.csv"
    path.write_text(
        "# 2027 test schedule\n"
        "date,type,name\n"
        "2027-01-01..2027-01-03,off,元旦\n"
        "2027-10-01..2027-10-07,off,国庆节\n"
        "2027-10-09,work,国庆节\n",
        encoding="utf-8",
    )
    call_command("import_calendar", str(path))
    assert calendar_horizon() == date(2027, 12, 31)
    assert national("2027-10-09").is_working_day is True
    assert national("2027-10-04").holiday_name == "国庆节"


def test_a_malformed_csv_names_the_line_and_writes_nothing(tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text(
        "date,type,name\n2027-01-01,off,元旦\n2027-01-04,work,元旦\n2027-13-01,off,春节\n2027-05-01,rest,劳动节\n",
        encoding="utf-8",
    )
    state = table_state()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_calendar", str(path))
    message = str(excinfo.value)
    assert f"{path}:3: " in message and f"{path}:4: " in message and f"{path}:5: " in message
    assert table_state() == state


def test_import_replaces_a_year_already_loaded_but_leaves_county_rows():
    county = Region.objects.create(code="330681", name="诸暨市", tier=Tier.COUNTY)
    working_day_set(day=date(2026, 6, 1), region=county, reason=DayReason.COUNTY_CLOSURE)
    text = (
        "year: 2026\nholidays:\n  - name: 国庆节\n    off: [2026-10-01..2026-10-07]\n    work: [2026-10-10]\n"
    )
    result = calendar_import(text=text, fmt="yaml", source_name="notice-2026.yaml")
    assert result.created == 0 and result.updated == 365
    assert national("2026-02-17").reason == DayReason.WORKDAY  # not listed in this (partial) file
    assert WorkingDay.objects.filter(region=county).count() == 1


# --- Snapshot loader and cache ----------------------------------------------------------------------------


def test_the_snapshot_is_built_with_one_query_and_cached(django_assert_num_queries):
    with django_assert_num_queries(1):
        snapshot = calendar_snapshot()
    with django_assert_num_queries(0):
        assert calendar_snapshot() is snapshot
        add_working_days(datetime(2026, 9, 28, 9, tzinfo=BJ), 5, calendar=snapshot)
    assert len(snapshot.days) == WorkingDay.objects.filter(region=None).count()


def test_a_change_invalidates_the_cache_at_once():
    snapshot = calendar_snapshot()
    assert snapshot.is_working_day(date(2026, 3, 10))
    working_day_set(day=date(2026, 3, 10), reason=DayReason.HOLIDAY, holiday_name="临时")
    fresh = calendar_snapshot()
    assert fresh is not snapshot
    assert not fresh.is_working_day(date(2026, 3, 10))


def test_a_change_made_by_another_process_is_noticed_on_recheck(settings):
    settings.CALENDAR_CACHE_RECHECK_SECONDS = 0
    assert calendar_snapshot().is_working_day(date(2026, 3, 10))
    # A queryset update fires no signal, like a write from another process.
    WorkingDay.objects.filter(date=date(2026, 3, 10), region=None).update(
        is_working_day=False, reason=DayReason.HOLIDAY, updated_at=timezone.now()
    )
    assert not calendar_snapshot().is_working_day(date(2026, 3, 10))


def test_horizon_check_warns_ahead_of_time():
    assert calendar_horizon_check(today=date(2026, 6, 1)) is None
    warning = calendar_horizon_check(today=date(2026, 11, 22))
    assert (warning.year, warning.horizon, warning.days_left) == (2027, date(2026, 12, 31), 39)
    alert = CalendarHorizonAlert.objects.get()
    assert (alert.year, alert.first_needed_on, alert.horizon) == (2027, date(2027, 1, 1), date(2026, 12, 31))
    assert calendar_horizon_check(today=date(2026, 11, 23)).year == 2027  # still warning, one alert row
    assert CalendarHorizonAlert.objects.count() == 1


# --- Invariants -------------------------------------------------------------------------------------------


def test_the_database_keeps_reason_and_working_day_consistent():
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingDay.objects.bulk_create(
            [WorkingDay(date=date(2030, 1, 1), is_working_day=True, reason=DayReason.HOLIDAY)]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingDay.objects.bulk_create(
            [WorkingDay(date=date(2030, 1, 1), is_working_day=False, reason=DayReason.COUNTY_CLOSURE)]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingDay.objects.bulk_create(
            [WorkingDay(date=date(2026, 1, 5), is_working_day=True, reason=DayReason.WORKDAY)]
        )


def test_county_rows_need_a_county():
    county = Region.objects.create(code="330681", name="诸暨市", tier=Tier.COUNTY)
    town = Region.objects.create(code="330681001", name="暨阳街道", tier=Tier.TOWN, parent=county)
    with pytest.raises(ValidationError):
        working_day_set(day=date(2026, 3, 10), region=town, reason=DayReason.COUNTY_CLOSURE)
    with pytest.raises(ValidationError):
        working_day_set(day=date(2026, 3, 10), reason=DayReason.COUNTY_CLOSURE)
    with pytest.raises(IntegrityError), transaction.atomic():
        BusinessHours.objects.create(
            region=county,
            morning_start=time(12),
            morning_end=time(9),
            afternoon_start=time(14),
            afternoon_end=time(17),
        )


# --- Admin ------------------------------------------------------------------------------------------------


def test_admin_adds_a_county_closure_through_the_service(admin_client):
    county = Region.objects.create(code="330681", name="诸暨市", tier=Tier.COUNTY)
    assert admin_client.get("/admin/routing/workingday/?date__year=2026").status_code == 200
    response = admin_client.post(
        "/admin/routing/workingday/add/",
        {
            "date": "2026-03-10",
            "region": county.pk,
            "reason": DayReason.COUNTY_CLOSURE,
            "holiday_name": "",
            "note": "台风",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = WorkingDay.objects.get(date=date(2026, 3, 10), region=county)
    assert (row.is_working_day, row.source, row.note) == (False, CalendarSource.ADMIN, "台风")
    assert not calendar_snapshot(region=county).is_working_day(date(2026, 3, 10))
    # A national day cannot be deleted (it would leave a hole in the calendar).
    assert (
        admin_client.get(f"/admin/routing/workingday/{national('2026-03-10').pk}/delete/").status_code == 403
    )


def test_calendar_rows_below_a_superuser_are_the_administrators_own_county_rows(client):
    """A town administrator adds no calendar day (a national one would shift every county's deadlines);
    a county administrator adds rows of their own county only, never national ones, and can correct and
    delete what they may add."""
    from routing.models import Membership
    from tests.factories import UserFactory

    county = Region.objects.create(code="330681", name="诸暨市", tier=Tier.COUNTY)
    other = Region.objects.create(code="330682", name="上虞区", tier=Tier.COUNTY)
    town = Region.objects.create(code="330681001", name="暨阳街道", tier=Tier.TOWN, parent=county)

    def admin_of(region, name):
        user = UserFactory(username=name, is_staff=True)
        Membership.objects.create(user=user, role=StaffRole.ADMINISTRATOR, region=region)
        client.force_login(user)
        return user

    closure = {"date": "2026-03-10", "reason": DayReason.HOLIDAY, "holiday_name": "假日", "note": "越权"}
    admin_of(town, "town_admin")
    assert client.get("/admin/routing/workingday/add/").status_code == 403
    assert client.post("/admin/routing/workingday/add/", {**closure, "region": ""}).status_code == 403
    assert client.post("/admin/routing/workingday/add/", {**closure, "region": county.pk}).status_code == 403
    assert not WorkingDay.objects.filter(note="越权").exists()

    admin_of(county, "county_admin")
    # Empty county (national) and another county are both refused as form errors; nothing is written.
    for region in ("", other.pk):
        response = client.post("/admin/routing/workingday/add/", {**closure, "region": region})
        assert response.status_code == 200 and response.context["adminform"].form.errors.get("region")
    assert not WorkingDay.objects.filter(note="越权").exists()
    response = client.post(
        "/admin/routing/workingday/add/", {**closure, "reason": DayReason.COUNTY_CLOSURE, "region": county.pk}
    )
    assert response.status_code == 302
    row = WorkingDay.objects.get(date=date(2026, 3, 10), region=county)
    # Corrected by whoever may add it: the note, then the row itself.
    response = client.post(
        f"/admin/routing/workingday/{row.pk}/change/",
        {"reason": DayReason.COUNTY_CLOSURE, "holiday_name": "", "note": "台风"},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.note == "台风"
    assert client.post(f"/admin/routing/workingday/{row.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not WorkingDay.objects.filter(pk=row.pk).exists()
