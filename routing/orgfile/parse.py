"""Parsing an organisation file: from YAML text to an ``OrgFile`` of specs, each item checked on its own.

This step checks what one item can say about itself (known fields, types, choices, lengths, code formats);
references between items and to the database are ``validate``'s. It never stops at the first problem: every
error is collected with its line, so a file is fixed in one round.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from ..choices import DEPARTMENT_ROLES, TIER_CODE_LENGTH, DepartmentRole, StaffRole, Tier
from ..models import Department, Region, ServiceWindow
from .specs import (
    FORMAT_VERSION,
    DepartmentSpec,
    MembershipSpec,
    OrgError,
    OrgFile,
    OrgFileInvalid,
    RegionSpec,
    UserSpec,
    WindowSpec,
)
from .yamlload import LineDict, LineList, load_yaml


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


def _parse_unit(
    item: LineDict,
    errors: list[OrgError],
    spec_class: type,
    model: type,
    own_fields: tuple[str, ...],
    read_own: Callable[[_Reader], dict[str, Any]],
):
    """A department or a window: code, name, region and ``active``, around the fields of its own kind.

    Fields are read in the format's order, so errors reported on the same line come out in that order.
    """
    r = _Reader(item, errors, ("code", "name", "region", *own_fields, "active"), model)
    code = r.text("code", required=True, model_field="code")
    name = r.text("name", required=True, model_field="name")
    region = r.text("region", required=True)
    own = read_own(r)
    spec = spec_class(
        line=item.line_of("code"),
        code=code or "",
        name=name,
        region=region,
        **own,
        is_active=r.flag("active"),
        region_line=r.line("region"),
    )
    return spec if code else None


def _parse_department(item: LineDict, errors: list[OrgError]) -> DepartmentSpec | None:
    return _parse_unit(
        item,
        errors,
        DepartmentSpec,
        Department,
        ("role", "contact_phone"),
        lambda r: {
            "role": r.choice("role", DepartmentRole, required=False, code="unknown_role")
            or DepartmentRole.HANDLING,
            "contact_phone": r.text("contact_phone", model_field="contact_phone") or "",
        },
    )


def _parse_window(item: LineDict, errors: list[OrgError]) -> WindowSpec | None:
    own_fields = ("address", "opening_hours")
    return _parse_unit(
        item,
        errors,
        WindowSpec,
        ServiceWindow,
        own_fields,
        lambda r: {key: r.text(key, model_field=key) or "" for key in own_fields},
    )


def _parse_membership(line: int, entry: LineDict, errors: list[OrgError]) -> MembershipSpec:
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
    return membership


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
    if password:
        # The same rules as every other path that sets a password (admin, createsuperuser).
        probe = user_model(username=username or "", email=email, first_name=r.text("full_name") or "")
        try:
            validate_password(password, user=probe)
        except ValidationError as exc:
            r.error("password", "weak_password", " ".join(exc.messages))
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
        spec.memberships.append(_parse_membership(line, entry, errors))
    return spec if username else None


# Each section's name is also the OrgFile list it fills. The order is the documented one: it is the order of
# the allowed keys in an "unknown field" message and the order in which sections are read.
_SECTIONS: tuple[tuple[str, Callable[[LineDict, list[OrgError]], Any]], ...] = (
    ("regions", _parse_region),
    ("departments", _parse_department),
    ("windows", _parse_window),
    ("users", _parse_user),
)


def parse_org(text: str) -> tuple[OrgFile | None, list[OrgError]]:
    """The parsed file (``None`` when it is not a mapping at all) and every error found on the way."""
    data, errors = load_yaml(text)
    if errors and data is None:
        return None, errors
    if not isinstance(data, LineDict):
        return None, [
            OrgError(1, "bad_file", _("文件应为一个映射（regions、departments、windows、users）。"))
        ]
    r = _Reader(data, errors, ("version", *(name for name, _parse_item in _SECTIONS)))
    version = data.get("version")
    if version is not None and str(version) != FORMAT_VERSION:
        r.error("version", "bad_version", _("不支持的文件版本“%(v)s”。") % {"v": version})
    org = OrgFile()
    for name, parse_item in _SECTIONS:
        specs = getattr(org, name)
        for _line, item in _section(data, name, errors):
            if (spec := parse_item(item, errors)) is not None:
                specs.append(spec)
    return org, errors


def orgfile_parse(text: str, *, source: str = "<string>") -> OrgFile:
    """Read an organisation file and check each item on its own (fields, types, choices, lengths).

    References between items and to the database are checked by ``orgfile_validate``. Raises
    ``OrgFileInvalid`` listing every problem found.
    """
    org, errors = parse_org(text)
    if errors or org is None:
        raise OrgFileInvalid(errors, source=source)
    return org
