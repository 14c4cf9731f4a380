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
  is hashed once per import) and checked by Django's password validators like every other path that sets
  one (``weak_password`` on its line); ``password_hash`` is set whenever it differs from the stored hash. A new user
  with neither gets an unusable password.

Scalars are read as strings, ``true``/``false`` and ``null`` only: codes such as ``330681`` or opening hours
such as ``8:30`` never turn into numbers (YAML 1.1 would read ``8:30`` as 510).

The steps, one module each: ``yamlload`` (YAML with line numbers), ``specs`` (what a parsed file holds, and
its errors), ``parse`` (each item on its own), ``validate`` (references, against the file then the database),
``apply`` (the import) and ``export``. Import from this package, not from the modules.
"""

from .apply import ImportResult, organisation_import
from .export import organisation_export
from .parse import orgfile_parse
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
from .validate import orgfile_validate

__all__ = [
    "FORMAT_VERSION",
    "DepartmentSpec",
    "ImportResult",
    "MembershipSpec",
    "OrgError",
    "OrgFile",
    "OrgFileInvalid",
    "RegionSpec",
    "UserSpec",
    "WindowSpec",
    "organisation_export",
    "organisation_import",
    "orgfile_parse",
    "orgfile_validate",
]
