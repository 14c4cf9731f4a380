"""Signals the closed loop sends outside its events.

``deadlines_recomputed`` (kwargs ``case_ids``): stored deadlines of these cases moved without a command —
the calendar gained the dates their provisional deadlines needed (``cases.sla.
provisional_deadlines_recompute``). Sent inside that transaction; the supervision projection connects
here to refresh the cases' facts. Everything else that moves a deadline is a command and has its event.
"""

from django.dispatch import Signal

deadlines_recomputed = Signal()
