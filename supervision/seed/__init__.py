"""``manage.py seed_cases``: a realistic history of cases over the demo organisation, fast.

What it writes, per case, as the closed loop would have: the requester row, the case (classified, routed,
with every deadline field computed by the same arithmetic as ``cases.clocks``), its assignments (each
with its own clock), its events in order (commands, and the deadline sweep's steps: 黄灯预警, 催办, 督办,
列入通报), the supervision fact; then the rollups, the tracking-number counters and the id sequences.

The history runs from ``days`` days ago up to now: intake on working days mostly (fewer online on rest
days), at every tier's windows; most cases routed to the category's default department, some to the
coordination centre; a share returned (退回), transferred (转办), suspended, answered "cannot be done
yet", resolved late or left to rot; callbacks (满意 / 基本满意 / 不满意) and reopens (重办). Whatever is
planned after now has not happened yet, so recent cases are open with every light.

Invariants
- The seed never runs the workflow, but it cannot write a history the workflow forbids: every event goes
  through ``CaseDraft.event``, which checks the transition against ``cases.workflow.RULES`` (sweep steps
  keep the status) and raises ``SeedError`` otherwise. It writes brand-new rows only; it never changes
  the status of a case that exists.
- The rules it shares with the loop have one home: deadlines (``cases.sla``, ``cases.clocks`` through
  ``routing.calendar.fastclock``), the default lead department (``cases.workflow.default_lead_rule``),
  the rollups (``supervision.projection``, compared by the tests).
- Same ``seed`` and ``now``, same rows, whatever the number of workers or the chunk size.

Speed: rows are generated in chunks of whole days by worker processes and written with PostgreSQL
``COPY`` (other databases: ``executemany``) in one transaction per chunk; with a superuser connection the
foreign-key triggers are skipped for the load (``session_replication_role = replica``; the generator only
writes ids it knows exist). Deadlines use ``routing.calendar.fastclock`` (the tests compare it with
``cases.clocks``), and the rollups are summed from the generated facts.

Counties: the cases are spread evenly over several counties (default every county that can take cases,
``counties``), each generated as its own ``World``; ``counties_clone`` copies a county's organisation
under new codes of the same city for a province-sized history.

Modules: ``counties`` (which counties, how many cases each, copies), ``world`` (the organisation read once: regions, windows, staff, departments, categories and
their default leads, deadline profiles, calendar), ``draft`` (one case in the making and the one door for
its events), ``generator`` (the steps of each case's history), ``ladder`` (what the deadline sweep would
have fired), ``rows`` (a finished case as COPY lines, and its rollups), ``writer`` (COPY text, tables,
chunk transactions, deferred indexes), ``run`` (``seed_cases``: chunks, workers, the finish).
"""

from .counties import counties_clone, seed_counties
from .run import SeedResult, progress_bar, seed_cases
from .writer import SeedError, indexes_drop, indexes_restore

__all__ = [
    "SeedError",
    "SeedResult",
    "counties_clone",
    "indexes_drop",
    "indexes_restore",
    "progress_bar",
    "seed_cases",
    "seed_counties",
]
