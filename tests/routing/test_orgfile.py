"""Organisation files: import (all or nothing, idempotent, errors with line numbers), export, the demo data."""

from io import StringIO
from pathlib import Path
from textwrap import dedent

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command

from routing.choices import StaffRole, Tier
from routing.models import Department, Membership, Region, ServiceWindow
from routing.orgfile import OrgFileInvalid, organisation_export, organisation_import

pytestmark = pytest.mark.django_db

User = get_user_model()
DEMO_FILE = Path(settings.BASE_DIR) / "demo" / "organisation.yaml"

# Parents come after their children on purpose; codes and hours are left unquoted on purpose.
SMALL = dedent(
    """\
    version: 1
    regions:
      - code: "330699001"
        name: 浣东街道
        tier: town
        parent: "330699"
      - {code: "330699001001", name: 城东社区, tier: village, parent: 330699001}
      - code: 330699
        name: 浣江县
        tier: county
    departments:
      - {code: scjg, name: 浣江县市场监督管理局, region: "330699", contact_phone: 0575-87101201}
      - {code: xzfwzx, name: 浣江县行政服务中心, region: "330699", role: coordinator}
      - {code: town-zhb, name: 浣东街道综合办, region: "330699001"}
    windows:
      - code: county-w01
        name: 县行政服务中心“办不成事”反映窗口
        region: "330699"
        opening_hours: 8:30-17:00
      - {code: town-w01, name: 浣东街道便民服务中心窗口, region: "330699001"}
    users:
      - username: town_clerk
        full_name: 王丽
        email: town_clerk@example.org
        password: first-pass-1
        memberships:
          - {role: clerk, region: "330699001", window: town-w01}
      - username: scjg_head
        full_name: 陈国强
        memberships:
          - {role: department_head, department: scjg}
          - {role: supervisor, region: "330699"}
      - username: coordinator
        memberships:
          - {role: coordinator, department: xzfwzx}
    """
)


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line number of the nth line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[nth - 1]


def snapshot() -> dict:
    """Every row the import may touch, with all columns (including updated_at and password hashes)."""
    return {
        "regions": list(Region.objects.order_by("pk").values()),
        "departments": list(Department.objects.order_by("pk").values()),
        "windows": list(ServiceWindow.objects.order_by("pk").values()),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("pk").values()),
        "user_groups": list(User.groups.through.objects.order_by("pk").values()),
    }


def wipe_organisation() -> None:
    Membership.objects.all().delete()
    User.objects.all().delete()
    Department.objects.all().delete()
    ServiceWindow.objects.all().delete()
    for tier in (Tier.VILLAGE, Tier.TOWN, Tier.COUNTY, Tier.CITY, Tier.PROVINCE):
        Region.objects.filter(tier=tier).delete()


def group_names(username: str) -> set[str]:
    return set(User.objects.get(username=username).groups.values_list("name", flat=True))


def errors_of(text: str) -> list[tuple[str, int | None]]:
    with pytest.raises(OrgFileInvalid) as info:
        organisation_import(text=text, source="org.yaml")
    return [(e.code, e.line) for e in info.value.errors]


# --------------------------------------------------------------------------------------------------
# Import: idempotent, order-independent, authoritative for what it lists


def test_import_creates_everything_then_a_second_import_changes_nothing():
    first = organisation_import(text=SMALL)
    assert {k: dict(v) for k, v in first.counts.items()} == {
        "regions": {"created": 3},
        "departments": {"created": 3},
        "windows": {"created": 2},
        "users": {"created": 3},
        "memberships": {"created": 4},
    }
    before = snapshot()

    second = organisation_import(text=SMALL)

    assert not second.changed
    assert {k: dict(v) for k, v in second.counts.items()} == {
        "regions": {"unchanged": 3},
        "departments": {"unchanged": 3},
        "windows": {"unchanged": 2},
        "users": {"unchanged": 3},
        "memberships": {"unchanged": 4},
    }
    assert snapshot() == before


def test_parents_may_come_after_children_and_text_is_never_read_as_numbers():
    organisation_import(text=SMALL)

    village = Region.objects.get(code="330699001001")
    assert village.parent.code == "330699001"
    assert village.path == "/330699/330699001/330699001001/"
    assert Region.objects.get(code="330699").tier == Tier.COUNTY
    assert ServiceWindow.objects.get(code="county-w01").opening_hours == "8:30-17:00"
    assert Department.objects.get(code="scjg").contact_phone == "0575-87101201"


def test_memberships_put_users_into_their_role_groups():
    organisation_import(text=SMALL)

    assert group_names("town_clerk") == {StaffRole.CLERK}
    assert group_names("scjg_head") == {StaffRole.DEPARTMENT_HEAD, StaffRole.SUPERVISOR}
    assert group_names("coordinator") == {StaffRole.COORDINATOR}
    head = Membership.objects.get(user__username="scjg_head", role=StaffRole.DEPARTMENT_HEAD)
    # A department membership takes its department's region.
    assert head.region.code == "330699"


def test_a_changed_field_updates_only_that_row():
    organisation_import(text=SMALL)
    before = snapshot()

    result = organisation_import(text=SMALL.replace("浣江县市场监督管理局", "浣江县市场监管局"))

    assert result.counts["departments"] == {"updated": 1, "unchanged": 2}
    assert result.counts["regions"] == {"unchanged": 3}
    after = snapshot()
    changed = [
        (b["code"], b["name"], a["name"])
        for b, a in zip(before["departments"], after["departments"], strict=True)
        if a != b
    ]
    assert changed == [("scjg", "浣江县市场监督管理局", "浣江县市场监管局")]
    assert after["regions"] == before["regions"]
    assert after["users"] == before["users"]


def test_the_file_decides_the_memberships_of_the_users_it_lists():
    organisation_import(text=SMALL)
    text = SMALL.replace('      - {role: supervisor, region: "330699"}\n', "")

    result = organisation_import(text=text)

    assert result.counts["memberships"] == {"deleted": 1, "unchanged": 3}
    assert group_names("scjg_head") == {StaffRole.DEPARTMENT_HEAD}


def test_moving_a_department_moves_its_staff_with_it():
    organisation_import(text=SMALL)
    text = SMALL.replace(
        '{code: scjg, name: 浣江县市场监督管理局, region: "330699"',
        '{code: scjg, name: 浣江县市场监督管理局, region: "330699001"',
    )

    organisation_import(text=text)

    head = Membership.objects.get(user__username="scjg_head", role=StaffRole.DEPARTMENT_HEAD)
    assert head.region.code == "330699001"
    assert not organisation_import(text=text).changed


def test_initial_password_is_set_once_and_a_password_hash_only_when_it_differs():
    organisation_import(text=SMALL)
    clerk = User.objects.get(username="town_clerk")
    assert clerk.check_password("first-pass-1")
    # A user without a password in the file cannot log in until an administrator sets one.
    assert not User.objects.get(username="coordinator").has_usable_password()
    stored = clerk.password

    unchanged = organisation_import(text=SMALL.replace("password: first-pass-1", "password: another-pass"))
    clerk.refresh_from_db()
    assert clerk.password == stored
    assert unchanged.counts["users"] == {"unchanged": 3}

    new_hash = make_password("second-pass-2")
    text = SMALL.replace("password: first-pass-1", f"password_hash: {new_hash}")
    assert organisation_import(text=text).counts["users"] == {"updated": 1, "unchanged": 2}
    clerk.refresh_from_db()
    assert clerk.check_password("second-pass-2")
    assert not organisation_import(text=text).changed


def test_dry_run_reports_the_changes_and_writes_nothing():
    result = organisation_import(text=SMALL, dry_run=True)

    assert result.counts["users"]["created"] == 3
    assert Region.objects.count() == 0
    assert User.objects.count() == 0


# --------------------------------------------------------------------------------------------------
# Rejected files: every error names its line, and nothing is written


def test_unknown_parent_is_rejected_with_its_line_and_the_database_is_unchanged():
    organisation_import(text=SMALL)
    before = snapshot()
    # A valid change (a renamed department) next to the error must not be written either.
    text = SMALL.replace("浣东街道综合办", "浣东街道党政综合办").replace(
        'parent: "330699"', 'parent: "330698"'
    )

    with pytest.raises(OrgFileInvalid) as info:
        organisation_import(text=text, source="org.yaml")

    line = line_of(text, 'parent: "330698"')
    assert [(e.code, e.line) for e in info.value.errors] == [("unknown_parent", line)]
    assert f"org.yaml:{line}:" in str(info.value)
    assert "330698" in str(info.value)
    assert snapshot() == before


def test_duplicate_code_names_both_lines_and_nothing_is_written():
    text = SMALL.replace(
        "  - {code: town-zhb,", '  - {code: scjg, name: 重复的部门, region: "330699"}\n  - {code: town-zhb,'
    )

    with pytest.raises(OrgFileInvalid) as info:
        organisation_import(text=text, source="org.yaml")

    first, second = line_of(text, "{code: scjg"), line_of(text, "{code: scjg", nth=2)
    assert [(e.code, e.line) for e in info.value.errors] == [("duplicate_code", second)]
    assert f"第 {first} 行" in info.value.errors[0].message
    assert Region.objects.count() == 0
    assert Department.objects.count() == 0


def test_bad_yaml_names_its_line():
    text = SMALL.replace("    tier: county", "    tier: [county")

    with pytest.raises(OrgFileInvalid) as info:
        organisation_import(text=text, source="org.yaml")

    start = line_of(text, "tier: [county")
    # PyYAML notices the unclosed bracket on the next line; the message also says where it began.
    assert [(e.code, e.line) for e in info.value.errors] == [("yaml", start + 1)]
    assert f"第 {start} 行" in info.value.errors[0].message
    assert Region.objects.count() == 0


REGIONS = dedent(
    """\
    regions:
      - {code: "330699", name: 浣江县, tier: county}
      - {code: "330699001", name: 浣东街道, tier: town, parent: "330699"}
      - {code: "330699101", name: 枫溪镇, tier: town, parent: "330699"}
    """
)
WINDOWS = dedent(
    """\
    windows:
      - {code: w1, name: 浣东窗口, region: "330699001"}
      - {code: w2, name: 枫溪窗口, region: "330699101"}
    departments:
      - {code: d1, name: 浣东综合办, region: "330699001"}
    """
)


@pytest.mark.parametrize(
    ("text", "code", "needle"),
    [
        pytest.param(
            REGIONS + '  - {code: "33069900101", name: 错, tier: village, parent: "330699001"}\n',
            "code_length",
            "33069900101",
            id="village-code-not-12-digits",
        ),
        pytest.param(
            REGIONS + '  - {code: "330699001009", name: 错, tier: village, parent: "330699"}\n',
            "tier_parent",
            "330699001009",
            id="village-under-county",
        ),
        pytest.param(
            REGIONS + '  - {code: "330699102", name: 错, tier: town}\n',
            "missing_parent",
            "330699102",
            id="town-without-parent",
        ),
        pytest.param(
            REGIONS + '  - {code: "330698", name: 错, tier: county, parent: "330699"}\n',
            "tier_parent",
            "330698",
            id="county-with-parent",
        ),
        pytest.param(
            REGIONS + '  - {code: "330699101201", name: 错, tier: village, parent: "330699001"}\n',
            "code_prefix",
            "330699101201",
            id="code-outside-parent",
        ),
        pytest.param(
            REGIONS + '  - {code: "330699103", name: 错, tier: township, parent: "330699"}\n',
            "unknown_tier",
            "township",
            id="unknown-tier",
        ),
        pytest.param(
            REGIONS + 'departments:\n  - {code: d9, name: 错, region: "330699999"}\n',
            "unknown_region",
            "d9",
            id="department-in-unknown-region",
        ),
        pytest.param(
            REGIONS + 'departments:\n  - {code: d9, name: 错, region: "330699", role: leader}\n',
            "unknown_role",
            "d9",
            id="unknown-department-role",
        ),
        pytest.param(
            REGIONS + 'departments:\n  - {code: d9, region: "330699"}\n',
            "missing_field",
            "d9",
            id="department-without-name",
        ),
        pytest.param(
            REGIONS + 'departments:\n  - {code: d9, name: 错, region: "330699", phone: "1"}\n',
            "unknown_field",
            "d9",
            id="misspelt-field",
        ),
        pytest.param(
            REGIONS + 'windows:\n  - code: w9\n    name: 窗口\n    name: 又一个名字\n    region: "330699"\n',
            "duplicate_key",
            "又一个名字",
            id="duplicate-key",
        ),
        pytest.param(
            REGIONS + 'windows:\n  - {code: w9, name: 窗口, region: "330699", active: yes}\n',
            "bad_value",
            "w9",
            id="active-not-a-boolean",
        ),
        pytest.param(
            REGIONS
            + WINDOWS
            + 'users:\n  - username: u1\n    memberships:\n      - {role: boss, region: "330699"}\n',
            "unknown_role",
            "boss",
            id="unknown-staff-role",
        ),
        pytest.param(
            REGIONS
            + WINDOWS
            + 'users:\n  - username: u1\n    memberships:\n      - {role: handler, region: "330699001"}\n',
            "department_required",
            "role: handler",
            id="department-role-without-department",
        ),
        pytest.param(
            REGIONS
            + WINDOWS
            + "users:\n  - username: u1\n    memberships:\n      - {role: handler, department: d7}\n",
            "unknown_department",
            "d7",
            id="unknown-department",
        ),
        pytest.param(
            REGIONS
            + WINDOWS
            + "users:\n  - username: u1\n    memberships:\n      - {role: clerk, window: w7}\n",
            "unknown_window",
            "w7",
            id="unknown-window",
        ),
        pytest.param(
            REGIONS
            + WINDOWS
            + 'users:\n  - username: u1\n    memberships:\n      - {role: clerk, region: "330699001", window: w2}\n',
            "region_mismatch",
            "window: w2",
            id="window-of-another-region",
        ),
        pytest.param(
            REGIONS
            + WINDOWS
            + 'users:\n  - username: u1\n    memberships:\n      - {role: supervisor, region: "330699999"}\n',
            "unknown_region",
            "330699999",
            id="membership-in-unknown-region",
        ),
        pytest.param(
            REGIONS + "users:\n  - username: u1\n    password_hash: not-a-hash\n",
            "bad_value",
            "not-a-hash",
            id="unrecognised-password-hash",
        ),
        pytest.param(
            REGIONS + "users:\n  - username: u1\n    password: '1'\n",
            "weak_password",
            "password: '1'",
            id="password-the-validators-refuse",
        ),
        pytest.param(
            REGIONS + "users:\n  - username: zhangwei\n    password: zhangwei1\n",
            "weak_password",
            "password: zhangwei1",
            id="password-like-the-username",
        ),
        pytest.param(
            REGIONS + "users:\n  - {username: u1}\n  - {username: u1}\n",
            "duplicate_code",
            "{username: u1}",
            id="duplicate-username",
        ),
        pytest.param(REGIONS + "regions: []\n", "duplicate_key", "regions: []", id="section-twice"),
        pytest.param(REGIONS + "users: nobody\n", "bad_section", "users: nobody", id="section-not-a-list"),
    ],
)
def test_each_kind_of_error_names_its_line_and_writes_nothing(text, code, needle):
    nth = 2 if code in {"duplicate_code"} else 1
    assert errors_of(text) == [(code, line_of(text, needle, nth=nth))]
    assert Region.objects.count() == 0
    assert User.objects.count() == 0


def test_all_errors_of_a_file_are_reported_together():
    text = (
        REGIONS
        + '  - {code: "3306", name: 错, tier: county}\n'
        + 'departments:\n  - {code: d9, name: 错, region: "999999"}\n'
        + "users:\n  - username: u1\n    memberships:\n      - {role: handler}\n"
    )

    assert errors_of(text) == [
        ("code_length", line_of(text, '"3306"')),
        ("unknown_region", line_of(text, "d9")),
        ("department_required", line_of(text, "role: handler")),
    ]


def test_a_file_that_is_not_a_mapping_is_rejected():
    assert errors_of("- just\n- a list\n") == [("bad_file", 1)]


# --------------------------------------------------------------------------------------------------
# Export


def test_export_round_trips_through_an_empty_database():
    organisation_import(text=DEMO_FILE.read_text(encoding="utf-8"))
    exported = organisation_export()
    # Importing an export into the database it came from changes nothing.
    assert not organisation_import(text=exported).changed

    wipe_organisation()
    assert Region.objects.count() == 0
    organisation_import(text=exported)

    assert organisation_export() == exported
    assert Membership.objects.count() == 97


def test_export_of_a_region_holds_its_subtree_and_ancestors_and_imports_on_its_own():
    organisation_import(text=DEMO_FILE.read_text(encoding="utf-8"))
    exported = organisation_export(region_code="330699101")

    wipe_organisation()
    organisation_import(text=exported)

    assert sorted(Region.objects.values_list("code", flat=True)) == [
        "330600",
        "330699",
        "330699101",
        "330699101201",
        "330699101202",
        "330699101203",
    ]
    assert set(Department.objects.values_list("region__code", flat=True)) <= {
        "330699101",
        "330699101201",
        "330699101202",
        "330699101203",
    }
    usernames = set(User.objects.values_list("username", flat=True))
    assert "town2_supervisor" in usernames
    assert "village21_clerk" in usernames
    assert not usernames & {"county_admin", "town1_admin", "village11_clerk"}


def test_export_with_password_hashes_keeps_logins():
    organisation_import(text=SMALL)
    exported = organisation_export(include_password_hashes=True)
    assert "password_hash: pbkdf2_sha256$" in exported

    wipe_organisation()
    organisation_import(text=exported)

    assert User.objects.get(username="town_clerk").check_password("first-pass-1")
    assert organisation_export(include_password_hashes=True) == exported


# --------------------------------------------------------------------------------------------------
# Commands


def test_import_org_command_imports_and_reports(tmp_path):
    path = tmp_path / "org.yaml"
    path.write_text(SMALL, encoding="utf-8")
    out = StringIO()

    call_command("import_org", str(path), "--dry-run", stdout=out)
    assert "users: 3 created" in out.getvalue()
    assert User.objects.count() == 0

    call_command("import_org", str(path), stdout=StringIO())
    out = StringIO()
    call_command("import_org", str(path), stdout=out)
    assert "users: 0 created, 0 updated, 3 unchanged" in out.getvalue()
    assert "no changes" in out.getvalue()


def test_import_org_command_prints_every_error_with_file_and_line(tmp_path):
    path = tmp_path / "org.yaml"
    text = SMALL.replace('parent: "330699"', 'parent: "330698"')
    path.write_text(text, encoding="utf-8")
    err = StringIO()

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_org", str(path), stdout=StringIO(), stderr=err)

    assert f"{path}:{line_of(text, '330698')}: " in err.getvalue()
    assert Region.objects.count() == 0


def test_export_org_command_writes_a_file_and_refuses_an_unknown_region(tmp_path):
    organisation_import(text=SMALL)
    path = tmp_path / "out.yaml"

    call_command("export_org", "--output", str(path), stderr=StringIO())
    assert path.read_text(encoding="utf-8") == organisation_export()

    out = StringIO()
    call_command("export_org", "--region", "330699001", stdout=out)
    assert out.getvalue() == organisation_export(region_code="330699001")

    with pytest.raises(CommandError, match="unknown region"):
        call_command("export_org", "--region", "999999")


# --------------------------------------------------------------------------------------------------
# The demo data


def test_demo_file_imports_cleanly_and_a_second_import_changes_nothing():
    text = DEMO_FILE.read_text(encoding="utf-8")
    first = organisation_import(text=text, source="demo/organisation.yaml")
    # The city, 浣江县 with 3 towns × 3 villages, and 溪山县 with one town and one village.
    assert first.counts["regions"]["created"] == 1 + 13 + 3
    before = snapshot()

    assert not organisation_import(text=text).changed
    assert snapshot() == before


def test_demo_organisation_has_every_tier_department_window_and_role():
    organisation_import(text=DEMO_FILE.read_text(encoding="utf-8"))

    city = Region.objects.get(tier=Tier.CITY)
    assert [c.code for c in city.subregions().order_by("code")] == ["330698", "330699"]
    assert all(c.parent_id == city.pk for c in city.subregions())
    # The city oversees: no window, no department, only its supervisor and administrator.
    assert not city.windows.exists() and not city.departments.exists()
    assert set(city.memberships.values_list("role", flat=True)) == {
        StaffRole.SUPERVISOR,
        StaffRole.ADMINISTRATOR,
    }
    county = Region.objects.get(code="330699")
    towns = Region.objects.filter(tier=Tier.TOWN, parent=county)
    assert towns.count() == 3
    for town in towns:
        assert town.children.count() == 3
    assert county.departments.filter(role="handling").count() >= 12
    assert county.departments.get(role="coordinator").name == "浣江县行政服务中心"
    for region in Region.objects.subtree(county):
        assert region.windows.exists(), region
        assert region.departments.exists(), region
    # The second county is small but runs the whole loop: a window, a centre, bureaus, staff.
    second = Region.objects.get(code="330698")
    assert second.windows.exists() and second.departments.filter(role="coordinator").exists()
    assert second.departments.filter(role="handling").count() == 3

    roles_by_tier = {
        tier: set(Membership.objects.filter(region__tier=tier).values_list("role", flat=True))
        for tier in Tier.values
    }
    every_tier = {
        StaffRole.CLERK,
        StaffRole.HANDLER,
        StaffRole.DEPARTMENT_HEAD,
        StaffRole.SUPERVISOR,
        StaffRole.ADMINISTRATOR,
    }
    assert roles_by_tier[Tier.COUNTY] == every_tier | {StaffRole.COORDINATOR}
    assert roles_by_tier[Tier.TOWN] == every_tier
    assert roles_by_tier[Tier.VILLAGE] == every_tier
    # Every village has its own complete set of staff, not just one village per tier.
    for village in Region.objects.subtree(county).filter(tier=Tier.VILLAGE):
        assert set(village.memberships.values_list("role", flat=True)) == every_tier


def test_load_demo_twice_is_idempotent_and_puts_users_into_their_role_groups():
    call_command("load_demo", stdout=StringIO())
    before = snapshot()
    out = StringIO()

    call_command("load_demo", stdout=out)

    assert "(no changes)" in out.getvalue()
    assert snapshot() == before
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.check_password("demo-pass-2026")
    assert User.objects.get(username="village11_admin").check_password("demo-pass-2026")
    for user in User.objects.exclude(username="admin").prefetch_related("memberships", "groups"):
        assert {g.name for g in user.groups.all()} == {m.role for m in user.memberships.all()}, user
    assert group_names("county_clerk") == {StaffRole.CLERK}
    assert group_names("dept_scjg_head") == {StaffRole.DEPARTMENT_HEAD}
    assert group_names("town1_supervisor") == {StaffRole.SUPERVISOR}
    assert group_names("county_coordinator") == {StaffRole.COORDINATOR}
    # Administrators get into the admin site (limited there to their subtree); other roles do not.
    assert User.objects.get(username="village11_admin").is_staff
    assert not User.objects.get(username="county_clerk").is_staff


def test_load_demo_lists_every_demo_account_with_its_role_and_place():
    call_command("load_demo", stdout=StringIO())
    out = StringIO()

    call_command("load_demo", "--list-accounts", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 98  # admin + one line per membership (97; two of the second county's users hold two)
    by_user = {line.split()[0]: line for line in lines}
    assert "超级管理员" in by_user["admin"]
    assert "窗口工作人员" in by_user["county_clerk"]
    assert "浣江县行政服务中心“办不成事”反映窗口" in by_user["county_clerk"]
    assert "部门负责人" in by_user["dept_scjg_head"]
    assert "浣江县市场监督管理局" in by_user["dept_scjg_head"]
    assert "管理员" in by_user["village11_admin"]
    assert "城东社区" in by_user["village11_admin"]
    assert "市(地、州、盟)" in by_user["city_supervisor"] and "浣州市" in by_user["city_supervisor"]
    assert "协调中心" in by_user["county_coordinator"]


def test_a_file_may_refer_to_the_database_and_add_to_it():
    organisation_import(text=SMALL)
    text = dedent(
        """\
        departments:
          - {code: jtys, name: 浣江县交通运输局, region: "330699"}
        users:
          - username: jtys_handler
            memberships:
              - {role: handler, department: jtys}
              - {role: clerk, window: county-w01}
        """
    )

    result = organisation_import(text=text)

    assert result.counts["departments"] == {"created": 1}
    clerk = Membership.objects.get(user__username="jtys_handler", role=StaffRole.CLERK)
    assert clerk.region.code == "330699"
    assert Region.objects.count() == 3


def test_moving_a_window_away_from_its_clerks_is_rejected_as_a_whole():
    organisation_import(text=SMALL)
    before = snapshot()
    text = 'windows:\n  - {code: town-w01, name: 浣东街道便民服务中心窗口, region: "330699"}\n'

    assert errors_of(text) == [("region_mismatch", 2)]
    assert snapshot() == before
