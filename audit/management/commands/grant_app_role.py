"""``manage.py grant_app_role``: give the application's database role exactly what it needs (PostgreSQL).

Run as the owner role, after every ``migrate`` (new tables need their grants); idempotent. The app role
may read and write ordinary tables, only read and insert the append-only ones (case events, the other
histories, the configuration history, the chain digests), and owns nothing: a table's triggers can be
disabled only by its owner (or a superuser), so the app role cannot switch off the append-only trigger.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql

# Append-only tables besides the configuration history (pghistory's event models, found by their base).
APPEND_ONLY_MODELS = (
    "cases.CaseEvent",
    "audit.ChainDigest",
    "library.WriteUpEvent",
    "practice.PracticeItemEvent",
)


def append_only_tables() -> list[str]:
    from pghistory.models import Event

    tables = [apps.get_model(label)._meta.db_table for label in APPEND_ONLY_MODELS]
    tables += [
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, Event) and not model._meta.proxy and model._meta.managed
    ]
    return sorted(set(tables))


class Command(BaseCommand):
    help = (
        "Grant the application role (APP_DB_ROLE, default windowsvc_app) its rights on every table: "
        "read/write on ordinary tables, SELECT/INSERT only on the append-only ones. Run as the owner "
        "role after each migrate; idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--role", default=settings.APP_DB_ROLE, help="the application's role")
        parser.add_argument(
            "--create-with-password",
            metavar="PASSWORD",
            help="create the role (LOGIN, no superuser) if it does not exist, with this password",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("grant_app_role is for PostgreSQL")
        role = options["role"]
        q = sql.Identifier
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
            row = cursor.fetchone()
            if row is None:
                password = options["create_with_password"]
                if not password:
                    raise CommandError(f"role {role} does not exist (use --create-with-password)")
                cursor.execute(
                    sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}").format(
                        q(role), sql.Literal(password)
                    )
                )
            elif row[0]:
                raise CommandError(f"role {role} is a superuser: it could disable any trigger")
            cursor.execute("SELECT current_user")
            owner = cursor.fetchone()[0]
            if owner == role:
                raise CommandError("run this as the owner role (MIGRATE_DATABASE_URL), not as the app role")
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tableowner = %s",
                [role],
            )
            owned = [name for (name,) in cursor.fetchall()]
            if owned:
                raise CommandError(
                    f"role {role} owns {len(owned)} table(s) ({', '.join(owned[:5])}…): an owner can disable "
                    f"triggers. Move them first: REASSIGN OWNED BY {role} TO {owner};"
                )
            cursor.execute("SELECT current_database(), current_schema()")
            database, schema = cursor.fetchone()
            cursor.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(q(database), q(role)))
            cursor.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(q(schema), q(role)))
            cursor.execute(
                sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(
                    q(schema), q(role)
                )
            )
            cursor.execute(
                sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(
                    q(schema), q(role)
                )
            )
            cursor.execute(
                sql.SQL("REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {} FROM {}").format(
                    q(schema), q(role)
                )
            )
            protected = append_only_tables()
            for table in protected:
                cursor.execute(sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(q(table), q(role)))
        self.stdout.write(
            f"granted {role}: read/write on ordinary tables, SELECT/INSERT only on {len(protected)} "
            f"append-only tables; owner of the tables: {owner}"
        )
