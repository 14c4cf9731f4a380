"""``manage.py benchmark_partitions``: the plain case tables against the same rows partitioned by county.

Issue 19's growth plan, measured (BENCHMARKS.md, "Partitioning at 3,000,000 cases"; the decision is in
docs/DEPLOY.md, "Growing to a province: partitioning").

``--build`` copies the large tables of the history (``TABLES``: cases, events, assignments, department
access rows, case facts) into a schema ``part`` of the same database, each declared ``PARTITION BY LIST
(county_code)`` with one partition per county, ``county_code`` a column added for the purpose (the county
of the case's intake region, read from its path). Every index of the plain table is built on the
partitioned one (a partitioned index); a unique index (the primary keys included) gets ``county_code``
appended, because PostgreSQL enforces uniqueness on a partitioned table only over keys that contain the
partition key. Foreign keys are not copied (see DEPLOY.md: a key referencing a partitioned table must name
its whole unique key, here ``(id, county_code)``). Then ``VACUUM ANALYZE``.

``--measure`` replays the SQL the application really sends, captured from the ORM on the plain layout
(Django's test client and the selectors, ``CaptureQueriesContext``), on both layouts in the same session:
``search_path`` ``public`` (plain) or ``part, public`` (partitioned: the same unqualified table names now
resolve to the partitioned copies). A third variant, "partitioned + county", adds ``county_code = '…'``
next to each predicate that already implies the county (a region path prefix, a tracking number, a case id
of the scenario's county): what scoping would have to add for PostgreSQL to prune partitions, since it
does not prune on ``LIKE '/330603/%'``. Each round times every scenario on each variant in turn
(``--repeat`` times each) beside a ``SELECT 1`` round trip (the ceiling); every result is checked to be
the same rows on every variant. Prints medians and p95 as markdown, and EXPLAIN excerpts with ``--explain``.

``--maintenance`` measures what grows with history: table and index sizes, ``VACUUM (FREEZE)`` and
``ANALYZE`` of the whole event table against one county's partition, and removing one county's history:
``DELETE`` on the plain layout against ``DETACH PARTITION`` and ``DROP`` on the partitioned one (each in a
transaction rolled back).

``--drop`` removes the ``part`` schema. Nothing here changes the plain tables.
"""

# ruff: noqa: S608 (SQL built from the fixed table names above and county codes read from the database)
from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case
from routing.choices import Tier
from routing.models import Region

from .benchmark import percentile

SCHEMA = "part"
# The tables that grow with the history, and how a row finds its case (None: the row has the path itself).
TABLES = {
    "cases_case": None,
    "supervision_casefact": None,
    "cases_caseevent": "case_id",
    "cases_assignment": "case_id",
    "cases_departmentcase": "case_id",
}
# The columns that name a case, per table, for the pruned variant.
CASE_KEYS = {
    "cases_case": "id",
    "supervision_casefact": "case_id",
    "cases_caseevent": "case_id",
    "cases_assignment": "case_id",
    "cases_departmentcase": "case_id",
}
PLAIN, PART, PRUNED = "plain", "partitioned", "partitioned + county"


@dataclass
class Scenario:
    """One read or write of the application: its SQL statements, replayed in order, and its county."""

    label: str
    statements: list[str]
    county: str | None = None
    case_counties: dict[int, str] = field(default_factory=dict)
    write: bool = False


class Command(BaseCommand):
    help = (
        "Measure the case tables partitioned by county against the plain ones (issue 19): --build the "
        "partitioned copy in schema `part`, --measure the application's SQL on both, --maintenance sizes, "
        "VACUUM and removing a county, --drop the copy."
    )

    def add_arguments(self, parser):
        parser.add_argument("--build", action="store_true", help="build schema `part` (drops an old one)")
        parser.add_argument(
            "--measure", action="store_true", help="time the application's SQL on both layouts"
        )
        parser.add_argument("--maintenance", action="store_true", help="sizes, VACUUM, removing one county")
        parser.add_argument("--drop", action="store_true", help="drop schema `part`")
        parser.add_argument(
            "--county", default="", help="the county the scenarios look at (default: the 3rd)"
        )
        parser.add_argument("--rounds", type=int, default=5, help="rounds, variants alternating (default 5)")
        parser.add_argument("--repeat", type=int, default=10, help="runs per scenario, variant and round")
        parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE) excerpts too")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("PostgreSQL only")
        if not any(options[k] for k in ("build", "measure", "maintenance", "drop")):
            raise CommandError("say what to do: --build, --measure, --maintenance or --drop")
        counties = list(Region.objects.filter(tier=Tier.COUNTY).order_by("code"))
        if options["drop"]:
            self._sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            self.stdout.write(f"schema {SCHEMA} dropped")
        if options["build"]:
            self._build(counties)
        chosen = options["county"] or (counties[min(2, len(counties) - 1)].code if counties else "")
        if options["measure"]:
            self._measure(
                chosen,
                counties,
                rounds=options["rounds"],
                repeat=options["repeat"],
                explain=options["explain"],
            )
        if options["maintenance"]:
            self._maintenance(counties, chosen)

    # --- Building the partitioned copy -----------------------------------------------------------------

    def _sql(self, sql: str, params: list | None = None) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def _timed(self, label: str, sql: str) -> float:
        started = time.perf_counter()
        self._sql(sql)
        seconds = time.perf_counter() - started
        self.stdout.write(f"  {label}: {seconds:.1f} s")
        return seconds

    def _build(self, counties: list[Region]) -> None:
        if not counties:
            raise CommandError("no counties: run load_demo and seed_cases first")
        county_of = (
            "CASE " + " ".join(f"WHEN {{path}} LIKE '{c.path}%' THEN '{c.code}'" for c in counties) + " END"
        )
        self._sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        self._sql(f"CREATE SCHEMA {SCHEMA}")
        self.stdout.write(f"building schema {SCHEMA}: {len(counties)} partitions per table")
        for table, via in TABLES.items():
            self._sql(
                f"CREATE TABLE {SCHEMA}.{table} (LIKE public.{table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS, "
                f"county_code varchar(6) NOT NULL) PARTITION BY LIST (county_code)"
            )
            for county in counties:
                self._sql(
                    f"CREATE TABLE {SCHEMA}.{table}_{county.code} PARTITION OF {SCHEMA}.{table} "
                    f"FOR VALUES IN ('{county.code}')"
                )
            if via is None:
                source = f"SELECT t.*, {county_of.format(path='t.region_path')} FROM public.{table} t"
            else:
                source = (
                    f"SELECT t.*, {county_of.format(path='c.region_path')} FROM public.{table} t "
                    f"JOIN public.cases_case c ON c.id = t.{via}"
                )
            self._timed(f"{table}: copy", f"INSERT INTO {SCHEMA}.{table} {source}")
            for name, definition in self._sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s "
                "ORDER BY indexname",
                [table],
            ):
                self._timed(f"{table}: index {name}", partitioned_index(definition, SCHEMA))
            self._timed(f"{table}: VACUUM ANALYZE", f"VACUUM ANALYZE {SCHEMA}.{table}")
        for table in TABLES:
            plain = self._sql(f"SELECT count(*) FROM public.{table}")[0][0]
            copied = self._sql(f"SELECT count(*) FROM {SCHEMA}.{table}")[0][0]
            if plain != copied:
                raise CommandError(f"{table}: {plain} rows plain, {copied} partitioned")
            self.stdout.write(f"  {table}: {copied:,} rows in both")

    # --- The scenarios -----------------------------------------------------------------------------------

    def _scenarios(self, county: Region) -> list[Scenario]:
        from cases import selectors
        from citizens.lookup import _case_row_sql
        from supervision.selectors import supervision_roots

        User = get_user_model()
        suffix = "" if county.code == self._first_county_code() else f".{county.code}"
        supervisor = User.objects.get(username=f"county_supervisor{suffix}")
        handler = User.objects.get(username=f"dept_scjg_handler{suffix}")
        assert supervision_roots(supervisor)[0].pk == county.pk
        # A case of last month that has a history: its tracking number, id and county.
        sample = (
            Case.objects.filter(region_path__startswith=county.path, reopen_count__gt=0)
            .order_by("-taken_in_at")
            .values("pk", "tracking_number")[40]
        )
        cases = {sample["pk"]: county.code}
        scenarios = []

        def captured(label: str, action: Callable[[], object], **extra) -> Scenario:
            with CaptureQueriesContext(connection) as queries:
                action()
            statements = [q["sql"] for q in queries.captured_queries if touches_history(q["sql"])]
            if not statements:
                raise CommandError(f"{label}: no query on the case tables")
            return Scenario(label, statements, county=county.code, case_counties=cases, **extra)

        sql, params, slot = _case_row_sql()
        params = list(params)
        params[slot] = sample["tracking_number"]
        with connection.cursor() as cursor:
            lookup = cursor.mogrify(sql, params)
        scenarios.append(Scenario("status lookup by tracking number (public)", [lookup], county.code, cases))
        scenarios.append(
            captured(
                "case by tracking number (staff)",
                lambda: selectors.case_get_visible(
                    user=supervisor, tracking_number=sample["tracking_number"]
                ),
            )
        )

        def page(user, url: str) -> Callable[[], object]:
            client = Client()
            client.force_login(user)

            def get() -> object:
                response = client.get(url)
                if response.status_code != 200:
                    raise CommandError(f"GET {url}: {response.status_code}")
                return response

            return get

        scenarios.append(captured("county case list, page 1 (supervisor)", page(supervisor, "/cases/")))
        scenarios.append(captured("department case list, page 1 (handler)", page(handler, "/cases/")))
        scenarios.append(
            captured(
                f"case page with its timeline ({sample['pk']})", page(supervisor, f"/cases/{sample['pk']}/")
            )
        )
        scenarios.append(captured("county dashboard (this month)", page(supervisor, "/supervision/")))
        scenarios.append(captured("county overdue list", page(supervisor, "/supervision/overdue/")))
        month = timezone.localdate().replace(day=1)
        # The cross-county figures a city reads, on the facts, written by hand (measured before the city tier
        # landed; the city dashboard can now be captured like the county one, as `city_supervisor`).
        scenarios.append(
            Scenario(
                "all counties: this month's intake and open cases per county",
                [
                    "SELECT substr(region_path, 2, 6) AS county, count(*) FROM supervision_casefact "
                    f"WHERE taken_in_at >= '{month.isoformat()}' GROUP BY 1 ORDER BY 1",
                    "SELECT substr(region_path, 2, 6) AS county, count(*) FROM supervision_casefact "
                    "WHERE status NOT IN ('closed', 'not_accepted', 'withdrawn') GROUP BY 1 ORDER BY 1",
                ],
            )
        )
        tomorrow = timezone.now() + timedelta(days=1)

        def claim() -> None:
            from cases import sweep

            with transaction.atomic():
                sweep._claim_cases(tomorrow)
                sweep._claim_assignments(tomorrow)

        scenarios.append(captured("sweep: claim tomorrow's due clocks (one batch each)", claim))
        scenarios[-1].county = None  # the sweep is province-wide: nothing to prune by
        scenarios.append(self._write(county, sample["pk"]))
        return scenarios

    def _first_county_code(self) -> str:
        # The demo accounts keep their names in the demo county; the copies carry ".<code>".
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(username="county_supervisor")
        return user.memberships.first().region.code

    def _write(self, county: Region, case_id: int) -> Scenario:
        """An intake: one case row and its first event, copied from an existing case under new ids (the
        statements run in a transaction rolled back; user triggers off in both layouts)."""

        def columns(table: str) -> list[str]:
            return [
                name
                for (name,) in self._sql(
                    "SELECT quote_ident(column_name) FROM information_schema.columns WHERE table_schema = "
                    "'public' AND table_name = %s ORDER BY ordinal_position",
                    [table],
                )
            ]

        case_cols, event_cols = columns("cases_case"), columns("cases_caseevent")
        new_case, new_event = 2_000_000_000, 2_100_000_000  # above any seeded id, within integer columns
        case_values = [
            str(new_case) if c == "id" else ("tracking_number || 'X'" if c == "tracking_number" else c)
            for c in case_cols
        ]
        event_values = [
            str(new_event) if c == "id" else (str(new_case) if c == "case_id" else c) for c in event_cols
        ]
        return Scenario(
            "intake write: INSERT case + first event (rolled back)",
            [
                f"INSERT INTO cases_case ({', '.join(case_cols)}{{county_col}}) SELECT {', '.join(case_values)}"
                f"{{county_val}} FROM public.cases_case WHERE id = {case_id}",
                f"INSERT INTO cases_caseevent ({', '.join(event_cols)}{{county_col}}) SELECT "
                f"{', '.join(event_values)}{{county_val}} FROM public.cases_caseevent WHERE case_id = {case_id} "
                "AND sequence = 1",
            ],
            county=county.code,
            write=True,
        )

    # --- Measuring -----------------------------------------------------------------------------------

    def _measure(self, code: str, counties: list[Region], *, rounds: int, repeat: int, explain: bool) -> None:
        county = next((c for c in counties if c.code == code), None)
        if county is None:
            raise CommandError(f"no county {code}")
        if not self._sql("SELECT 1 FROM pg_namespace WHERE nspname = %s", [SCHEMA]):
            raise CommandError(f"no schema {SCHEMA}: run --build first")
        self._sql("SET search_path TO public")
        scenarios = self._scenarios(county)
        variants = {
            PLAIN: ("public", lambda s, sc: s),
            PART: (f"{SCHEMA}, public", lambda s, sc: s),
            PRUNED: (f"{SCHEMA}, public", pruned),
        }
        counts = {t: self._sql(f"SELECT count(*) FROM public.{t}")[0][0] for t in TABLES}
        self.stdout.write(
            f"looking at county {code}; {len(counties)} counties; rows: "
            + ", ".join(f"{t} {n:,}" for t, n in counts.items())
            + f"; {rounds} rounds x {repeat} runs per variant\n"
        )
        # Same rows on every variant (reads), and a warm cache for each.
        for scenario in scenarios:
            if scenario.write:
                continue
            results = {
                name: self._results(scenario, path, rewrite) for name, (path, rewrite) in variants.items()
            }
            if len(set(map(repr, results.values()))) != 1:
                raise CommandError(f"{scenario.label}: the layouts return different rows")
        timings: dict[tuple[str, str], list[float]] = {}
        each: dict[tuple[str, str], list[list[float]]] = {
            (scenario.label, name): [[] for _ in scenario.statements]
            for scenario in scenarios
            for name in variants
        }
        ceilings: list[float] = []
        for _ in range(rounds):
            for scenario in scenarios:
                for name, (path, rewrite) in variants.items():
                    if name == PRUNED and scenario.county is None:
                        continue
                    self._sql(f"SET search_path TO {path}")
                    for _ in range(repeat):
                        timings.setdefault((scenario.label, name), []).append(
                            self._run(scenario, rewrite, name, each[(scenario.label, name)])
                        )
                    started = time.perf_counter()
                    self._sql("SELECT 1")
                    ceilings.append((time.perf_counter() - started) * 1000)
        self._sql("SET search_path TO public")
        self.stdout.write(
            f"| scenario | queries | {PLAIN} p50 / p95 ms | {PART} p50 / p95 ms | {PRUNED} p50 / p95 ms |\n"
            "|---|---:|---:|---:|---:|"
        )
        for scenario in scenarios:
            cells = []
            for name in variants:
                values = timings.get((scenario.label, name))
                cells.append(
                    f"{statistics.median(values):.2f} / {percentile(values, 0.95):.2f}" if values else "n/a"
                )
            self.stdout.write(f"| {scenario.label} | {len(scenario.statements)} | {' | '.join(cells)} |")
        self.stdout.write(
            f"| ceiling: `SELECT 1` round trip | 1 | {statistics.median(ceilings):.2f} / "
            f"{percentile(ceilings, 0.95):.2f} (all variants) | | |"
        )
        self.stdout.write(
            "\nStatements over 2 ms (median) on any variant: p50 ms per variant, and the statement's start\n"
        )
        slowest: dict[str, int] = {}
        for scenario in scenarios:
            medians = [
                [statistics.median(each[(scenario.label, name)][i] or [0.0]) for name in variants]
                for i in range(len(scenario.statements))
            ]
            slowest[scenario.label] = max(range(len(medians)), key=lambda i: medians[i][0])
            for i, row in enumerate(medians):
                if max(row) > 2:
                    head = " ".join(scenario.statements[i].split())[:160]
                    self.stdout.write(
                        f"  {scenario.label} #{i + 1}: " + " / ".join(f"{x:.2f}" for x in row) + f"  {head}"
                    )
        if explain:
            for scenario in scenarios:
                if scenario.write:
                    continue
                main = scenario.statements[slowest[scenario.label]]
                for name, (path, rewrite) in variants.items():
                    if name == PRUNED and scenario.county is None:
                        continue
                    self._sql(f"SET search_path TO {path}")
                    plan = self._sql("EXPLAIN (ANALYZE, BUFFERS, SUMMARY) " + rewrite(main, scenario))
                    self.stdout.write(
                        f"\n--- {scenario.label} #{slowest[scenario.label] + 1} · {name}\n"
                        + "\n".join(r[0] for r in plan)
                    )
            self._sql("SET search_path TO public")

    def _results(self, scenario: Scenario, path: str, rewrite) -> list:
        self._sql(f"SET search_path TO {path}")
        out = []
        with connection.cursor() as cursor:
            for statement in scenario.statements:
                cursor.execute(rewrite(statement, scenario))
                rows = cursor.fetchall() if cursor.description else []
                out.append(sorted(map(repr, rows)))
        return out

    def _run(self, scenario: Scenario, rewrite, name: str, each: list[list[float]]) -> float:
        """Milliseconds for the scenario's statements, one round trip each (a write: in a transaction rolled
        back, with the copies' county column filled on the partitioned layouts); ``each`` gets each
        statement's own milliseconds."""
        with connection.cursor() as cursor:
            if scenario.write:
                cursor.execute("BEGIN")
                cursor.execute("SET LOCAL session_replication_role = replica")
            started = time.perf_counter()
            for index, statement in enumerate(scenario.statements):
                before = time.perf_counter()
                if scenario.write:
                    partitioned = name != PLAIN
                    statement = statement.format(
                        county_col=", county_code" if partitioned else "",
                        county_val=f", '{scenario.county}'" if partitioned else "",
                    )
                cursor.execute(rewrite(statement, scenario))
                if cursor.description:
                    cursor.fetchall()
                each[index].append((time.perf_counter() - before) * 1000)
            elapsed = (time.perf_counter() - started) * 1000
            if scenario.write:
                cursor.execute("ROLLBACK")
        return elapsed

    # --- Maintenance -----------------------------------------------------------------------------------

    def _maintenance(self, counties: list[Region], code: str) -> None:
        self.stdout.write(
            "| table | rows | plain: table / indexes | partitioned: table / indexes (all partitions) |"
        )
        self.stdout.write("|---|---:|---:|---:|")
        for table in TABLES:
            rows = self._sql(f"SELECT count(*) FROM public.{table}")[0][0]
            plain = self._sql(
                "SELECT pg_table_size(%s::regclass), pg_indexes_size(%s::regclass)",
                [f"public.{table}", f"public.{table}"],
            )[0]
            part = self._sql(
                "SELECT sum(pg_table_size(relid)), sum(pg_indexes_size(relid)) FROM pg_partition_tree(%s) "
                "WHERE isleaf",
                [f"{SCHEMA}.{table}"],
            )[0]
            self.stdout.write(
                f"| {table} | {rows:,} | {mb(plain[0])} / {mb(plain[1])} | {mb(part[0])} / {mb(part[1])} |"
            )
        self.stdout.write("\nIndex sizes, plain vs partitioned (sum of the partitions):")
        for table in ("cases_case", "cases_caseevent"):
            for name, size in self._sql(
                "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
                "WHERE indrelid = %s::regclass ORDER BY 2 DESC",
                [f"public.{table}"],
            ):
                part = self._sql(
                    "SELECT coalesce(sum(pg_relation_size(relid)), 0) FROM pg_partition_tree(%s) WHERE isleaf",
                    [f"{SCHEMA}.{name}"],
                )[0][0]
                self.stdout.write(f"  {name}: {mb(size)} plain, {mb(part)} partitioned")
        partition = f"{SCHEMA}.cases_caseevent_{code}"
        self.stdout.write("\nVACUUM and ANALYZE of the event table (first FREEZE pass reads every page):")
        self._timed("ANALYZE public.cases_caseevent (whole table)", "ANALYZE public.cases_caseevent")
        self._timed(f"ANALYZE {partition} (one county)", f"ANALYZE {partition}")
        self._timed(
            "VACUUM (FREEZE) public.cases_caseevent (whole table)", "VACUUM (FREEZE) public.cases_caseevent"
        )
        self._timed(f"VACUUM (FREEZE) {partition} (one county)", f"VACUUM (FREEZE) {partition}")
        self._timed(
            f"VACUUM (FREEZE) {SCHEMA}.cases_caseevent (all partitions)",
            f"VACUUM (FREEZE) {SCHEMA}.cases_caseevent",
        )
        county = next(c for c in counties if c.code == code)
        self.stdout.write(f"\nRemoving county {code}'s history (each in a transaction, rolled back):")
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(
                "SET LOCAL session_replication_role = replica"
            )  # the append-only trigger, FK checks
            started = time.perf_counter()
            deleted = {}
            for table, via in TABLES.items():
                if table == "cases_case":
                    continue
                where = (
                    f"region_path LIKE '{county.path}%'"
                    if via is None
                    else f"{via} IN (SELECT id FROM public.cases_case WHERE region_path LIKE '{county.path}%')"
                )
                cursor.execute(f"DELETE FROM public.{table} WHERE {where}")
                deleted[table] = cursor.rowcount
            cursor.execute(f"DELETE FROM public.cases_case WHERE region_path LIKE '{county.path}%'")
            deleted["cases_case"] = cursor.rowcount
            seconds = time.perf_counter() - started
            cursor.execute("ROLLBACK")
        self.stdout.write(
            f"  plain DELETE (triggers off, a lower bound): {seconds:.1f} s for "
            + ", ".join(f"{n:,} {t}" for t, n in deleted.items())
        )
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            started = time.perf_counter()
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {SCHEMA}.{table} DETACH PARTITION {SCHEMA}.{table}_{code}")
            detached = time.perf_counter() - started
            for table in TABLES:
                cursor.execute(f"DROP TABLE {SCHEMA}.{table}_{code}")
            dropped = time.perf_counter() - started
            cursor.execute("ROLLBACK")
        self.stdout.write(
            f"  partitioned DETACH PARTITION x{len(TABLES)}: {detached * 1000:.1f} ms; with DROP TABLE: "
            f"{dropped * 1000:.1f} ms"
        )


def mb(size: int | None) -> str:
    return f"{(size or 0) / 1024 / 1024:,.0f} MB"


_HISTORY = re.compile(r'"(' + "|".join(TABLES) + r')"')


def touches_history(sql: str) -> bool:
    """A read of the history tables (the statements worth replaying): not a write, not a savepoint."""
    head = sql.lstrip().split(None, 1)[0].upper()
    return head == "SELECT" and bool(_HISTORY.search(sql))


def partitioned_index(definition: str, schema: str) -> str:
    """A plain table's index definition for its partitioned copy: on ``schema``'s table, and with
    ``county_code`` appended to the key of a unique index (a partitioned table's unique keys must hold the
    partition key)."""
    sql = definition.replace(" ON public.", f" ON {schema}.", 1)
    if not sql.startswith("CREATE UNIQUE INDEX"):
        return sql
    start = sql.index("(", sql.index(" USING "))
    depth = 0
    for i in range(start, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[i], 0)
        if depth == 0:
            return sql[:i] + ", county_code" + sql[i:]
    raise CommandError(f"cannot read {definition}")


_PATH = re.compile(r'((?:"(\w+)"|(U\d+))\."(?:handling_)?region_path"::text LIKE \'/(\d{6})/[^\']*\')')
_NUMBER = re.compile(r'("cases_case"\."tracking_number" = \'(\d{6})[^\']*\')')


def pruned(sql: str, scenario: Scenario) -> str:
    """``sql`` with ``county_code = '…'`` beside each predicate that already implies the county: a prefix of
    the intake or the handling region path (a case is handled inside the county that took it in: no
    command moves it to another county), a tracking number, a case id of the scenario's county. Only the history tables have the
    column, and only their own columns are matched, so the rows stay the same (checked by ``_measure``)."""

    def by_path(m: re.Match) -> str:
        alias = m.group(2) or m.group(3)
        return f"{m.group(1)} AND {quote(alias)}.\"county_code\" = '{m.group(4)}'"

    def quote(alias: str) -> str:
        return alias if alias.startswith("U") else f'"{alias}"'

    sql = _PATH.sub(by_path, sql)
    sql = _NUMBER.sub(lambda m: f'{m.group(1)} AND "cases_case"."county_code" = \'{m.group(2)}\'', sql)
    for table, column in CASE_KEYS.items():
        pattern = re.compile(rf'("{table}"\."{column}" = (\d+))(?!\d)')

        def by_case(m: re.Match, table: str = table) -> str:
            county = scenario.case_counties.get(int(m.group(2)))
            return f'{m.group(1)} AND "{table}"."county_code" = \'{county}\'' if county else m.group(1)

        sql = pattern.sub(by_case, sql)
    # Not beside a department (its cases are one county's too): ``county_code`` is in none of the access
    # rows' indexes, so the capped count would read the rows instead of the index only (measured: 3.5 →
    # 56 ms at 3,000,000 cases).
    return sql
