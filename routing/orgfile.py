"""Organisation files: import and export the whole organisation (regions, departments, windows, staff) as YAML.

The file format (``demo/organisation.yaml`` is a complete example)::

    version: 1
    regions:      [{code, name, tier, parent}]                 # parent: a region code; none for a county
    departments:  [{code, name, region, role, contact_phone, active}]
    windows:      [{code, name, region, address, opening_hours, active}]
    users:        [{username, full_name, email, active, password | password_hash,
                    memberships: [{role, region, department, window}]}]

Invariants of an import (``organisation_import``):
- **Validation first, then one transaction**: every error of the file is collected with its line number
  and the file is rejected as a whole (``OrgFileInvalid``); nothing is written unless all of it is valid.
- **Idempotent**: a row is saved only when one of its fields differs from the file, so importing the same
  file twice reports everything ``unchanged`` the second time and leaves every row (and ``updated_at``) as is.
- **Order-independent**: references (parent, region, department, window) are resolved against the whole file
  and then the database, so a parent may come after its children.
- The file states the full state of the objects it lists: an omitted optional field is reset to its
  default, and a listed user's memberships become exactly those of the file. Objects the file does not list
  are left alone (nothing is ever deleted except memberships of listed users).
- Passwords: ``password`` is an initial password, set only when the user is created (each distinct password
  is hashed once per import); ``password_hash`` is set whenever it differs from the stored hash. A new user
  with neither gets an unusable password.

Scalars are read as strings, ``true``/``false`` and ``null`` only: codes such as ``330681`` or opening hours
such as ``8:30`` never turn into numbers (YAML 1.1 would read ``8:30`` as 510).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher, make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from windowsvc.errors import ServiceError

from .choices import DEPARTMENT_ROLES, TIER_CODE_LENGTH, TIER_PARENT, DepartmentRole, StaffRole, Tier
from .models import Department, Membership, Region, ServiceWindow
from .paths import path_codes
from .roles import ensure_role_groups

FORMAT_VERSION = "1"
TIER_ORDER = {Tier.COUNTY: 0, Tier.TOWN: 1, Tier.VILLAGE: 2}
ROLE_ORDER = {role: i for i, role in enumerate(StaffRole.values)}


# --------------------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class OrgError:
    """One problem of an organisation file: the 1-based line it is on, a stable code and a message."""

    line: int | None
    code: str
    message: str

    def format(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line else source
        return f"{where}: {self.message}"


class OrgFileInvalid(ServiceError):
    """The file was rejected as a whole; ``errors`` lists every problem with its line."""

    def __init__(self, errors: list[OrgError], *, source: str = "<string>"):
        self.errors = sorted(errors, key=lambda e: (e.line or 0, e.code))
        self.source = source
        super().__init__("\n".join(e.format(source) for e in self.errors))


# --------------------------------------------------------------------------------------------------
# Reading YAML with line numbers


class LineDict(dict):
    """A YAML mapping that remembers its own line and the line of each of its keys."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A YAML sequence that remembers its own line and the line of each item."""

    line: int = 0
    item_lines: list


class _OrgLoader(yaml.SafeLoader):
    """SafeLoader that records line numbers, reports duplicate keys and only resolves null and booleans."""

    # Our own resolver table (not a copy of SafeLoader's): only null and true/false are implicit.
    yaml_implicit_resolvers: dict = {}

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicate_keys: list[OrgError] = []


def _construct_mapping(loader: _OrgLoader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key_line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(None, None, _("键必须是文本"), key_node.start_mark)
        if key in result:
            loader.duplicate_keys.append(
                OrgError(
                    key_line,
                    "duplicate_key",
                    _("键“%(key)s”重复（第 %(first)s 行已有）。")
                    % {"key": key, "first": result.key_lines[key]},
                )
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_line
    return result


def _construct_sequence(loader: _OrgLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_OrgLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_OrgLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_OrgLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_OrgLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


def _load_yaml(text: str) -> tuple[Any, list[OrgError]]:
    loader = _OrgLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        message = _("YAML 格式错误：%(problem)s") % {"problem": getattr(exc, "problem", None) or str(exc)}
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and context_mark is not None and context_mark.line + 1 != line:
            # PyYAML notices an unclosed bracket or quote lines later; say where it began.
            message += _("（%(context)s，始于第 %(line)s 行）") % {
                "context": context,
                "line": context_mark.line + 1,
            }
        return None, [OrgError(line, "yaml", message)]
    finally:
        loader.dispose()
    return data, loader.duplicate_keys


# --------------------------------------------------------------------------------------------------
# The parsed file


@dataclass
class RegionSpec:
    line: int
    code: str
    name: str | None = None
    tier: str | None = None
    parent: str | None = None
    parent_line: int = 0


@dataclass
class DepartmentSpec:
    line: int
    code: str
    name: str | None = None
    region: str | None = None
    role: str = DepartmentRole.HANDLING
    contact_phone: str = ""
    is_active: bool = True
    region_line: int = 0


@dataclass
class WindowSpec:
    line: int
    code: str
    name: str | None = None
    region: str | None = None
    address: str = ""
    opening_hours: str = ""
    is_active: bool = True
    region_line: int = 0


@dataclass
class MembershipSpec:
    line: int
    role: str | None = None
    region: str | None = None
    department: str | None = None
    window: str | None = None
    lines: dict = field(default_factory=dict)


@dataclass
class UserSpec:
    line: int
    username: str
    full_name: str = ""
    email: str = ""
    is_active: bool = True
    password: str | None = None
    password_hash: str | None = None
    memberships: list[MembershipSpec] = field(default_factory=list)


@dataclass
class OrgFile:
    """A parsed organisation file; only items whose key (code or username) could be read are kept."""

    regions: list[RegionSpec] = field(default_factory=list)
    departments: list[DepartmentSpec] = field(default_factory=list)
    windows: list[WindowSpec] = field(default_factory=list)
    users: list[UserSpec] = field(default_factory=list)


_MISSING = object()


class _Reader:
    """Reads the fields of one mapping of the file, recording errors against their lines."""

    def __init__(self, data: LineDict, errors: list[OrgError], allowed: tuple[str, ...], model=None):
        self.data = data
        self.errors = errors
        self.model = model
        for key in data:
            if key not in allowed:
                self.error(
                    key,
                    "unknown_field",
                    _("未知字段“%(key)s”（可用字段：%(allowed)s）。")
                    % {"key": key, "allowed": ", ".join(allowed)},
                )

    def line(self, key: str | None = None) -> int:
        return self.data.line_of(key) if key else self.data.line

    def error(self, key: str | None, code: str, message: str) -> None:
        self.errors.append(OrgError(self.line(key), code, message))

    def text(self, key: str, *, required: bool = False, model_field: str | None = None) -> str | None:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                self.error(None, "missing_field", _("缺少必填字段“%(key)s”。") % {"key": key})
            return None
        if not isinstance(value, str):
            self.error(key, "bad_value", _("字段“%(key)s”应为文本。") % {"key": key})
            return None
        value = value.strip()
        if self.model is not None and model_field:
            max_length = self.model._meta.get_field(model_field).max_length
            if max_length and len(value) > max_length:
                self.error(
                    key,
                    "too_long",
                    _("字段“%(key)s”超过 %(n)s 个字符。") % {"key": key, "n": max_length},
                )
                return None
        return value

    def flag(self, key: str, default: bool = True) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(key, "bad_value", _("字段“%(key)s”应为 true 或 false。") % {"key": key})
            return default
        return value

    def choice(self, key: str, choices: type, *, required: bool = True, code: str = "unknown_choice"):
        value = self.text(key, required=required)
        if value is None:
            return None
        if value not in choices.values:
            self.error(
                key,
                code,
                _("“%(value)s”不是有效的%(key)s（可选：%(choices)s）。")
                % {"value": value, "key": key, "choices": ", ".join(choices.values)},
            )
            return None
        return value


def _section(data: LineDict, name: str, errors: list[OrgError]) -> list[tuple[int, Any]]:
    items = data.get(name)
    if items is None:
        return []
    if not isinstance(items, LineList):
        errors.append(OrgError(data.line_of(name), "bad_section", _("“%(name)s”应为列表。") % {"name": name}))
        return []
    result = []
    for line, item in zip(items.item_lines, items, strict=True):
        if not isinstance(item, LineDict):
            errors.append(OrgError(line, "bad_item", _("“%(name)s”的每一项应为映射。") % {"name": name}))
            continue
        result.append((line, item))
    return result


def _parse_region(item: LineDict, errors: list[OrgError]) -> RegionSpec | None:
    r = _Reader(item, errors, ("code", "name", "tier", "parent"), Region)
    code = r.text("code", required=True, model_field="code")
    name = r.text("name", required=True, model_field="name")
    tier = r.choice("tier", Tier, code="unknown_tier")
    parent = r.text("parent")
    if code is None:
        return None
    if tier is not None and (not code.isdigit() or len(code) != TIER_CODE_LENGTH[tier]):
        r.error(
            "code",
            "code_length",
            _("%(tier)s的区划代码应为 %(n)s 位数字，而“%(code)s”不是。")
            % {"tier": Tier(tier).label, "n": TIER_CODE_LENGTH[tier], "code": code},
        )
    return RegionSpec(
        line=item.line_of("code"),
        code=code,
        name=name,
        tier=tier,
        parent=parent,
        parent_line=r.line("parent"),
    )


def _parse_department(item: LineDict, errors: list[OrgError]) -> DepartmentSpec | None:
    r = _Reader(item, errors, ("code", "name", "region", "role", "contact_phone", "active"), Department)
    code = r.text("code", required=True, model_field="code")
    spec = DepartmentSpec(
        line=item.line_of("code"),
        code=code or "",
        name=r.text("name", required=True, model_field="name"),
        region=r.text("region", required=True),
        role=r.choice("role", DepartmentRole, required=False, code="unknown_role") or DepartmentRole.HANDLING,
        contact_phone=r.text("contact_phone", model_field="contact_phone") or "",
        is_active=r.flag("active"),
        region_line=r.line("region"),
    )
    return spec if code else None


def _parse_window(item: LineDict, errors: list[OrgError]) -> WindowSpec | None:
    r = _Reader(item, errors, ("code", "name", "region", "address", "opening_hours", "active"), ServiceWindow)
    code = r.text("code", required=True, model_field="code")
    spec = WindowSpec(
        line=item.line_of("code"),
        code=code or "",
        name=r.text("name", required=True, model_field="name"),
        region=r.text("region", required=True),
        address=r.text("address", model_field="address") or "",
        opening_hours=r.text("opening_hours", model_field="opening_hours") or "",
        is_active=r.flag("active"),
        region_line=r.line("region"),
    )
    return spec if code else None


def _parse_user(item: LineDict, errors: list[OrgError]) -> UserSpec | None:
    user_model = get_user_model()
    r = _Reader(
        item,
        errors,
        ("username", "full_name", "email", "active", "password", "password_hash", "memberships"),
        user_model,
    )
    username = r.text("username", required=True, model_field="username")
    if username is not None:
        try:
            user_model.username_validator(username)
        except ValidationError:
            r.error("username", "bad_value", _("用户名“%(name)s”含有不允许的字符。") % {"name": username})
    email = r.text("email", model_field="email") or ""
    if email:
        try:
            validate_email(email)
        except ValidationError:
            r.error("email", "bad_value", _("“%(email)s”不是有效的电子邮箱。") % {"email": email})
    password = r.text("password")
    password_hash = r.text("password_hash", model_field="password")
    if password and password_hash:
        r.error("password_hash", "bad_value", _("password 与 password_hash 只能填写一个。"))
    if password_hash:
        try:
            identify_hasher(password_hash)
        except ValueError:
            r.error("password_hash", "bad_value", _("password_hash 不是可识别的密码哈希。"))
    spec = UserSpec(
        line=item.line_of("username"),
        username=username or "",
        full_name=r.text("full_name", model_field="first_name") or "",
        email=email,
        is_active=r.flag("active"),
        password=password,
        password_hash=password_hash,
    )
    for line, entry in _section(item, "memberships", errors):
        m = _Reader(entry, errors, ("role", "region", "department", "window"))
        membership = MembershipSpec(
            line=line,
            role=m.choice("role", StaffRole, code="unknown_role"),
            region=m.text("region"),
            department=m.text("department"),
            window=m.text("window"),
            lines={key: entry.line_of(key) for key in ("role", "region", "department", "window")},
        )
        if membership.role in DEPARTMENT_ROLES and not membership.department:
            m.error(
                None,
                "department_required",
                _("角色“%(role)s”需要填写 department。") % {"role": membership.role},
            )
        elif not (membership.region or membership.department or membership.window):
            m.error(None, "missing_field", _("岗位需要 region、department 或 window 之一。"))
        spec.memberships.append(membership)
    return spec if username else None


def _parse(text: str) -> tuple[OrgFile | None, list[OrgError]]:
    data, errors = _load_yaml(text)
    if errors and data is None:
        return None, errors
    if not isinstance(data, LineDict):
        return None, [
            OrgError(1, "bad_file", _("文件应为一个映射（regions、departments、windows、users）。"))
        ]
    allowed = ("version", "regions", "departments", "windows", "users")
    for key in data:
        if key not in allowed:
            errors.append(
                OrgError(
                    data.line_of(key),
                    "unknown_field",
                    _("未知字段“%(key)s”（可用字段：%(allowed)s）。")
                    % {"key": key, "allowed": ", ".join(allowed)},
                )
            )
    version = data.get("version")
    if version is not None and str(version) != FORMAT_VERSION:
        errors.append(
            OrgError(data.line_of("version"), "bad_version", _("不支持的文件版本“%(v)s”。") % {"v": version})
        )
    org = OrgFile()
    for _line, item in _section(data, "regions", errors):
        if (spec := _parse_region(item, errors)) is not None:
            org.regions.append(spec)
    for _line, item in _section(data, "departments", errors):
        if (spec := _parse_department(item, errors)) is not None:
            org.departments.append(spec)
    for _line, item in _section(data, "windows", errors):
        if (spec := _parse_window(item, errors)) is not None:
            org.windows.append(spec)
    for _line, item in _section(data, "users", errors):
        if (spec := _parse_user(item, errors)) is not None:
            org.users.append(spec)
    return org, errors


def orgfile_parse(text: str, *, source: str = "<string>") -> OrgFile:
    """Read an organisation file and check each item on its own (fields, types, choices, lengths).

    References between items and to the database are checked by ``orgfile_validate``. Raises
    ``OrgFileInvalid`` listing every problem found.
    """
    org, errors = _parse(text)
    if errors or org is None:
        raise OrgFileInvalid(errors, source=source)
    return org


# --------------------------------------------------------------------------------------------------
# Validation of references (against the file, then the database)


@dataclass
class _Known:
    """The state the organisation will have after the import: file items override database rows."""

    region_tier: dict[str, str]
    department_region: dict[str, str]
    window_region: dict[str, str]


def _duplicates(items, key, what: str, errors: list[OrgError]) -> dict:
    first: dict[str, Any] = {}
    for item in items:
        k = getattr(item, key)
        if k in first:
            errors.append(
                OrgError(
                    item.line,
                    "duplicate_code",
                    _("%(what)s“%(code)s”重复（第 %(first)s 行已有）。")
                    % {"what": what, "code": k, "first": first[k].line},
                )
            )
        else:
            first[k] = item
    return first


def orgfile_validate(org: OrgFile, *, source: str = "<string>") -> None:
    """Check every reference of the file: duplicates, parents and tiers, regions, departments, windows.

    References resolve to the file first and then to the database, so a file may add to an existing
    organisation. Raises ``OrgFileInvalid`` listing every problem found.
    """
    errors = _validate(org)
    if errors:
        raise OrgFileInvalid(errors, source=source)


def _validate(org: OrgFile) -> list[OrgError]:
    # Items that failed a field check are still here (with that field empty), so one run reports the
    # field errors and the reference errors together.
    errors: list[OrgError] = []
    regions = _duplicates(org.regions, "code", _("区划代码"), errors)
    departments = _duplicates(org.departments, "code", _("部门代码"), errors)
    windows = _duplicates(org.windows, "code", _("窗口代码"), errors)
    _duplicates(org.users, "username", _("用户名"), errors)

    referenced_regions = {r.parent for r in org.regions if r.parent}
    referenced_regions |= {d.region for d in org.departments if d.region}
    referenced_regions |= {w.region for w in org.windows if w.region}
    memberships = [m for u in org.users for m in u.memberships]
    referenced_regions |= {m.region for m in memberships if m.region}
    db_departments = dict(
        Department.objects.filter(
            code__in={m.department for m in memberships if m.department} - set(departments)
        ).values_list("code", "region__code")
    )
    db_windows = dict(
        ServiceWindow.objects.filter(
            code__in={m.window for m in memberships if m.window} - set(windows)
        ).values_list("code", "region__code")
    )
    known = _Known(
        region_tier=dict(
            Region.objects.filter(code__in=referenced_regions - set(regions)).values_list("code", "tier")
        ),
        department_region=db_departments,
        window_region=db_windows,
    )
    known.region_tier.update({code: spec.tier for code, spec in regions.items()})
    known.department_region.update({code: spec.region for code, spec in departments.items()})
    known.window_region.update({code: spec.region for code, spec in windows.items()})

    def unknown_region(line: int, code: str) -> None:
        errors.append(OrgError(line, "unknown_region", _("未知的区划“%(code)s”。") % {"code": code}))

    for spec in regions.values():
        if spec.tier is None:
            continue
        parent_tier = TIER_PARENT[spec.tier]
        if parent_tier is None:
            if spec.parent:
                errors.append(
                    OrgError(
                        spec.parent_line,
                        "tier_parent",
                        _("县级区划“%(code)s”不能有上级。") % {"code": spec.code},
                    )
                )
            continue
        if not spec.parent:
            errors.append(
                OrgError(
                    spec.line,
                    "missing_parent",
                    _("%(tier)s“%(code)s”缺少上级区划（parent）。")
                    % {"tier": Tier(spec.tier).label, "code": spec.code},
                )
            )
            continue
        if spec.parent not in known.region_tier:
            errors.append(
                OrgError(
                    spec.parent_line,
                    "unknown_parent",
                    _("未知的上级区划“%(code)s”。") % {"code": spec.parent},
                )
            )
            continue
        actual = known.region_tier[spec.parent]
        if actual is not None and actual != parent_tier:
            errors.append(
                OrgError(
                    spec.parent_line,
                    "tier_parent",
                    _("%(tier)s“%(code)s”的上级应为%(parent_tier)s，而“%(parent)s”是%(actual)s。")
                    % {
                        "tier": Tier(spec.tier).label,
                        "code": spec.code,
                        "parent_tier": Tier(parent_tier).label,
                        "parent": spec.parent,
                        "actual": Tier(actual).label,
                    },
                )
            )
        elif not spec.code.startswith(spec.parent):
            errors.append(
                OrgError(
                    spec.line,
                    "code_prefix",
                    _("区划代码“%(code)s”应以上级代码“%(parent)s”开头。")
                    % {"code": spec.code, "parent": spec.parent},
                )
            )

    for spec in [*departments.values(), *windows.values()]:
        if spec.region and spec.region not in known.region_tier:
            unknown_region(spec.region_line, spec.region)

    for user in org.users:
        seen: dict[tuple, int] = {}
        for m in user.memberships:
            region = m.region
            if m.department:
                if m.department not in known.department_region:
                    errors.append(
                        OrgError(
                            m.lines["department"],
                            "unknown_department",
                            _("未知的部门“%(code)s”。") % {"code": m.department},
                        )
                    )
                    continue
                dept_region = known.department_region[m.department]
                if region and dept_region and region != dept_region:
                    errors.append(
                        OrgError(
                            m.lines["region"],
                            "region_mismatch",
                            _("区划“%(region)s”与部门“%(dept)s”所属区划“%(dept_region)s”不一致。")
                            % {"region": region, "dept": m.department, "dept_region": dept_region},
                        )
                    )
                    continue
                region = region or dept_region
            if m.window:
                if m.window not in known.window_region:
                    errors.append(
                        OrgError(
                            m.lines["window"],
                            "unknown_window",
                            _("未知的窗口“%(code)s”。") % {"code": m.window},
                        )
                    )
                    continue
                window_region = known.window_region[m.window]
                if region and window_region and region != window_region:
                    errors.append(
                        OrgError(
                            m.lines["window"],
                            "region_mismatch",
                            _("窗口“%(window)s”不属于区划“%(region)s”。")
                            % {"window": m.window, "region": region},
                        )
                    )
                    continue
                region = region or window_region
            if region and region not in known.region_tier:
                unknown_region(m.lines["region"], region)
                continue
            key = (m.role, "d", m.department) if m.department else (m.role, "r", region)
            if key in seen:
                errors.append(
                    OrgError(
                        m.line,
                        "duplicate_membership",
                        _("岗位重复（第 %(first)s 行已有）。") % {"first": seen[key]},
                    )
                )
            seen[key] = m.line
            m.region = region
    return errors


# --------------------------------------------------------------------------------------------------
# Applying


@dataclass
class ImportResult:
    """What an import did, per kind of object: created / updated / unchanged / deleted counts."""

    counts: dict[str, Counter] = field(
        default_factory=lambda: {
            k: Counter() for k in ("regions", "departments", "windows", "users", "memberships")
        }
    )
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return any(c["created"] or c["updated"] or c["deleted"] for c in self.counts.values())

    def summary(self) -> str:
        parts = []
        for kind, c in self.counts.items():
            text = f"{kind}: {c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged"
            if kind == "memberships":
                text += f", {c['deleted']} deleted"
            parts.append(text)
        return "\n".join(parts)


def _sync(instance, values: dict[str, Any]) -> bool:
    """Set the fields that differ and save only those (plus updated_at); True when something changed."""
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        update_fields = [*changed, "updated_at"] if hasattr(instance, "updated_at") else changed
        if isinstance(instance, Region) and "parent" in changed:
            update_fields.append("path")
        instance.save(update_fields=update_fields)
    return bool(changed)


def _upsert(model, existing: dict, key: str, values: dict, counter: Counter, lookup: dict) -> None:
    instance = existing.get(key)
    if instance is None:
        lookup[key] = model.objects.create(**values)
        counter["created"] += 1
    else:
        counter["updated" if _sync(instance, values) else "unchanged"] += 1
        lookup[key] = instance


def _apply(org: OrgFile, result: ImportResult, source: str) -> None:
    ensure_role_groups()
    counts = result.counts

    region_codes = {r.code for r in org.regions} | {r.parent for r in org.regions if r.parent}
    region_codes |= {s.region for s in [*org.departments, *org.windows]}
    region_codes |= {m.region for u in org.users for m in u.memberships}
    regions = Region.objects.in_bulk(region_codes, field_name="code")
    existing = dict(regions)
    # Parents before children, whatever the order inside the file.
    for spec in sorted(org.regions, key=lambda s: (TIER_ORDER[s.tier], s.code)):
        parent = regions[spec.parent] if spec.parent else None
        values = {"code": spec.code, "name": spec.name, "tier": spec.tier, "parent": parent}
        _upsert(Region, existing, spec.code, values, counts["regions"], regions)

    department_codes = {d.code for d in org.departments} | {
        m.department for u in org.users for m in u.memberships if m.department
    }
    departments = Department.objects.in_bulk(department_codes, field_name="code")
    existing = dict(departments)
    moved_departments = []
    for spec in org.departments:
        values = {
            "name": spec.name,
            "region": regions[spec.region],
            "role": spec.role,
            "contact_phone": spec.contact_phone,
            "is_active": spec.is_active,
        }
        before = existing.get(spec.code)
        old_region_id = before.region_id if before else None
        _upsert(
            Department, existing, spec.code, {"code": spec.code, **values}, counts["departments"], departments
        )
        if before is not None and before.region_id != old_region_id:
            moved_departments.append(before)
    for department in moved_departments:
        # A membership's region is its department's region: staff move with their department (reported as
        # the department's update; the file's own users are then reconciled below).
        Membership.objects.filter(department=department).exclude(region_id=department.region_id).update(
            region_id=department.region_id
        )

    window_codes = {w.code for w in org.windows} | {
        m.window for u in org.users for m in u.memberships if m.window
    }
    windows = ServiceWindow.objects.in_bulk(window_codes, field_name="code")
    existing = dict(windows)
    for spec in org.windows:
        values = {
            "name": spec.name,
            "region": regions[spec.region],
            "address": spec.address,
            "opening_hours": spec.opening_hours,
            "is_active": spec.is_active,
        }
        _upsert(ServiceWindow, existing, spec.code, {"code": spec.code, **values}, counts["windows"], windows)

    _apply_users(org, counts, regions, departments, windows)
    _check_memberships(org, source)


def _apply_users(org: OrgFile, counts, regions, departments, windows) -> None:
    user_model = get_user_model()
    users = user_model.objects.in_bulk([u.username for u in org.users], field_name="username")
    current: dict[int, list[Membership]] = {}
    for membership in Membership.objects.filter(user__in=users.values()):
        current.setdefault(membership.user_id, []).append(membership)
    # Hashing is deliberately slow; hash each distinct initial password once per import.
    hashed: dict[str, str] = {}

    for spec in org.users:
        user = users.get(spec.username)
        if user is None:
            user = user_model(
                username=spec.username,
                first_name=spec.full_name,
                email=spec.email,
                is_active=spec.is_active,
            )
            if spec.password_hash:
                user.password = spec.password_hash
            elif spec.password:
                if spec.password not in hashed:
                    hashed[spec.password] = make_password(spec.password)
                user.password = hashed[spec.password]
            else:
                user.set_unusable_password()
            user.save()
            counts["users"]["created"] += 1
        else:
            changed = []
            # The file carries one full name; compare with the displayed name so a name split by the admin
            # into first and last name does not count as a change.
            if user.get_full_name() != spec.full_name:
                user.first_name, user.last_name = spec.full_name, ""
                changed += ["first_name", "last_name"]
            if user.email != spec.email:
                user.email = spec.email
                changed.append("email")
            if user.is_active != spec.is_active:
                user.is_active = spec.is_active
                changed.append("is_active")
            if spec.password_hash and user.password != spec.password_hash:
                user.password = spec.password_hash
                changed.append("password")
            if changed:
                user.save(update_fields=changed)
            counts["users"]["updated" if changed else "unchanged"] += 1

        wanted = {}
        for m in spec.memberships:
            department = departments[m.department] if m.department else None
            region = regions[m.region]
            key = (m.role, "d", department.pk) if department else (m.role, "r", region.pk)
            wanted[key] = {
                "region": region,
                "department": department,
                "window": windows[m.window] if m.window else None,
            }
        for membership in current.get(user.pk, []):
            key = (
                (membership.role, "d", membership.department_id)
                if membership.department_id
                else (membership.role, "r", membership.region_id)
            )
            values = wanted.pop(key, None)
            if values is None:
                membership.delete()
                counts["memberships"]["deleted"] += 1
            else:
                counts["memberships"]["updated" if _sync(membership, values) else "unchanged"] += 1
        for (role, _kind, _pk), values in wanted.items():
            Membership.objects.create(user=user, role=role, **values)
            counts["memberships"]["created"] += 1


def _check_memberships(org: OrgFile, source: str) -> None:
    """After moving departments or windows, no membership may point at a window of another region."""
    windows = {w.code: w for w in org.windows}
    departments = {d.code: d for d in org.departments}
    users = {u.username: u for u in org.users}
    bad = (
        Membership.objects.filter(
            Q(window__isnull=False) & ~Q(window__region=F("region"))
            | Q(department__isnull=False) & ~Q(department__region=F("region"))
        )
        .filter(
            Q(window__code__in=list(windows))
            | Q(department__code__in=list(departments))
            | Q(user__username__in=list(users))
        )
        .select_related("user", "window", "department")
    )
    errors = []
    for membership in bad:
        spec = (
            windows.get(membership.window.code if membership.window else None)
            or departments.get(membership.department.code if membership.department else None)
            or users.get(membership.user.username)
        )
        errors.append(
            OrgError(
                spec.line if spec else None,
                "region_mismatch",
                _("用户“%(user)s”的岗位与其窗口或部门不在同一区划。") % {"user": membership.user.username},
            )
        )
    if errors:
        raise OrgFileInvalid(errors, source=source)


def organisation_import(*, text: str, source: str = "<string>", dry_run: bool = False) -> ImportResult:
    """Validate an organisation file and apply it in one transaction (rolled back when ``dry_run``).

    Raises ``OrgFileInvalid`` (every error with its line) and writes nothing when the file is invalid.
    """
    org, errors = _parse(text)
    if org is not None:
        errors += _validate(org)
    if errors or org is None:
        raise OrgFileInvalid(errors, source=source)
    result = ImportResult(dry_run=dry_run)
    with transaction.atomic():
        _apply(org, result, source)
        if dry_run:
            transaction.set_rollback(True)
    return result


# --------------------------------------------------------------------------------------------------
# Export


class _Flow(dict):
    """A mapping written on one line (memberships), to keep the file readable."""


class _OrgDumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        # Indent list items under their key, as people write YAML by hand.
        return super().increase_indent(flow, False)


_OrgDumper.add_representer(
    _Flow, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)
)


def _membership_sort_key(m: Membership):
    return (ROLE_ORDER.get(m.role, 99), m.region.path, m.department.code if m.department else "", m.pk)


def organisation_export(*, region_code: str | None = None, include_password_hashes: bool = False) -> str:
    """The organisation as an import file; importing it on an empty database and exporting gives the same text.

    With ``region_code`` only that region's subtree is written, together with its ancestors (regions only,
    so the file imports on its own), and only the users whose every membership lies inside the subtree.
    Users without memberships (such as superusers) are not part of the organisation and are left out.
    Password hashes are written only on request.
    """
    regions = Region.objects.select_related("parent")
    root = None
    if region_code:
        root = Region.objects.get(code=region_code)
        ancestor_codes = path_codes(root.path)
        regions = regions.filter(Q(path__startswith=root.path) | Q(code__in=ancestor_codes))
    departments = Department.objects.select_related("region")
    windows = ServiceWindow.objects.select_related("region")
    memberships = Membership.objects.select_related("region", "department", "window")
    if root is not None:
        departments = departments.filter(region__path__startswith=root.path)
        windows = windows.filter(region__path__startswith=root.path)

    data: dict[str, Any] = {
        "version": int(FORMAT_VERSION),
        "regions": [],
        "departments": [],
        "windows": [],
        "users": [],
    }
    for region in regions.order_by("path"):
        item = _Flow(code=region.code, name=region.name, tier=region.tier)
        if region.parent_id:
            item["parent"] = region.parent.code
        data["regions"].append(item)
    for department in departments.order_by("region__path", "code"):
        item = {"code": department.code, "name": department.name, "region": department.region.code}
        if department.role != DepartmentRole.HANDLING:
            item["role"] = department.role
        if department.contact_phone:
            item["contact_phone"] = department.contact_phone
        if not department.is_active:
            item["active"] = False
        data["departments"].append(item)
    for window in windows.order_by("region__path", "code"):
        item = {"code": window.code, "name": window.name, "region": window.region.code}
        if window.address:
            item["address"] = window.address
        if window.opening_hours:
            item["opening_hours"] = window.opening_hours
        if not window.is_active:
            item["active"] = False
        data["windows"].append(item)

    by_user: dict[int, list[Membership]] = {}
    for membership in memberships:
        by_user.setdefault(membership.user_id, []).append(membership)
    for user in get_user_model().objects.filter(pk__in=by_user).order_by("username"):
        user_memberships = sorted(by_user[user.pk], key=_membership_sort_key)
        if root is not None and not all(m.region.path.startswith(root.path) for m in user_memberships):
            continue
        item: dict[str, Any] = {"username": user.username}
        if user.get_full_name():
            item["full_name"] = user.get_full_name()
        if user.email:
            item["email"] = user.email
        if not user.is_active:
            item["active"] = False
        if include_password_hashes and user.has_usable_password():
            item["password_hash"] = user.password
        item["memberships"] = []
        for m in user_memberships:
            entry = _Flow(role=m.role)
            if m.department_id:
                entry["department"] = m.department.code
            else:
                entry["region"] = m.region.code
            if m.window_id:
                entry["window"] = m.window.code
            item["memberships"].append(entry)
        data["users"].append(item)

    body = yaml.dump(data, Dumper=_OrgDumper, allow_unicode=True, sort_keys=False, width=1000)
    header = "# windowsvc organisation file (manage.py export_org); import with manage.py import_org\n"
    return header + body
