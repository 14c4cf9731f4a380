"""What an organisation file says once read: its errors and one spec dataclass per kind of item.

Specs are plain data, not models: they carry the file's values (codes, not objects) and the lines they
came from, so the validator can point at the right line and the importer can resolve references against
the whole file and then the database. An item whose key (code, username) could not be read is dropped; a
field that failed its check is left empty or at its default, so one run reports field and reference errors
together (the file is rejected anyway).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from windowsvc.errors import ServiceError

from ..choices import DepartmentRole

FORMAT_VERSION = "1"


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
