"""CI's proof of the database roles (docs/DEPLOY.md, "Database roles"), on a fresh database:

1. an administrator creates an owner role (not a superuser), a database it owns and the app role;
2. the owner runs ``migrate`` and ``grant_app_role``;
3. the app role loads the demo (cases, events, configuration: the application works with its grants),
   writes the digest and passes ``audit_verify``;
4. the app role can neither switch the events' trigger off nor change or delete an event or a digest;
5. the owner can: it edits an event with the trigger off, and ``audit_verify`` (as the app role) fails and
   names that event.

    python scripts/check_db_roles.py postgres://postgres@127.0.0.1:5432/postgres

The database and both roles are dropped at the end (names carry ``--suffix`` on a shared server).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent


def url_for(admin_url: str, user: str, password: str, database: str) -> str:
    parts = urlsplit(admin_url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user}:{password}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, f"/{database}", "", ""))


def manage(url: str, app_role: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "APP_DB_ROLE": app_role,
        "DJANGO_SETTINGS_MODULE": "windowsvc.settings",
    }
    print("$ manage.py", " ".join(args), flush=True)
    result = subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    print(result.stdout[-3000:], result.stderr[-3000:], sep="\n", flush=True)
    if check and result.returncode != 0:
        raise SystemExit(f"manage.py {args[0]} failed ({result.returncode})")
    return result


def refused(url: str, statement: str, expected: str) -> None:
    with psycopg.connect(url) as conn:
        try:
            conn.execute(statement)
        except psycopg.Error as exc:
            if expected not in str(exc):
                raise SystemExit(f"{statement!r} refused, but not with {expected!r}: {exc}") from None
            print(f"refused as it should be: {statement}  ({str(exc).strip().splitlines()[0]})")
            return
    raise SystemExit(f"the app role could run {statement!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("admin_url", help="a role that may create roles and databases")
    parser.add_argument("--suffix", default="", help="appended to the database and role names")
    args = parser.parse_args()
    database, owner, app = (
        f"{n}{args.suffix}" for n in ("windowsvc_roles", "windowsvc_owner", "windowsvc_app")
    )
    owner_password, app_password = "owner-ci-pass", "app-ci-pass"
    owner_url = url_for(args.admin_url, owner, owner_password, database)
    app_url = url_for(args.admin_url, app, app_password, database)

    with psycopg.connect(args.admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(database)))
        for role, password in ((owner, owner_password), (app, app_password)):
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
            admin.execute(
                sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
        admin.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(owner))
        )
    try:
        manage(owner_url, app, "migrate", "--noinput", "-v0")
        manage(owner_url, app, "grant_app_role")
        manage(app_url, app, "load_demo")
        manage(app_url, app, "write_chain_digest")
        manage(app_url, app, "audit_verify")

        refused(app_url, "ALTER TABLE cases_caseevent DISABLE TRIGGER ALL", "must be owner")
        refused(app_url, "UPDATE cases_caseevent SET reason = 'x'", "permission denied")
        refused(app_url, "DELETE FROM cases_caseevent", "permission denied")
        refused(app_url, "UPDATE audit_chaindigest SET digest = 'x'", "permission denied")
        refused(app_url, "DELETE FROM audit_chaindigest", "permission denied")
        refused(app_url, "ALTER TABLE audit_chaindigest DISABLE TRIGGER ALL", "must be owner")
        refused(app_url, "DELETE FROM routing_membershipevent", "permission denied")

        with psycopg.connect(owner_url) as conn:
            event_id, tracking_number = conn.execute(
                "SELECT e.id, c.tracking_number FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id "
                "WHERE e.sequence = 2 ORDER BY e.id LIMIT 1"
            ).fetchone()
            conn.execute("ALTER TABLE cases_caseevent DISABLE TRIGGER USER")  # its own triggers: an owner may
            conn.execute(
                "UPDATE cases_caseevent SET payload = payload || '{\"edited\": true}'::jsonb WHERE id = %s",
                [event_id],
            )
            conn.execute("ALTER TABLE cases_caseevent ENABLE TRIGGER USER")
        print(f"the owner edited event {event_id} of case {tracking_number} with the trigger off")
        result = manage(app_url, app, "audit_verify", check=False)
        if (
            result.returncode == 0
            or f"event id {event_id} " not in result.stdout
            or tracking_number not in result.stdout
        ):
            raise SystemExit("audit_verify did not report the edited event")
        print("audit_verify found the owner's edit: database roles check passed")
    finally:
        with psycopg.connect(args.admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
            for role in (app, owner):
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


if __name__ == "__main__":
    main()
