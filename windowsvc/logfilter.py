"""Personal numbers never reach a log line: a logging filter on every handler of the project's logging.

Whatever a module logs — a message, its arguments, an exception's text — the formatted message passes
``windowsvc.personal.hide_numbers`` (the one rule for phone, id-number and credit-code shapes in free text)
before any handler writes it. Modules still log masked values on purpose (``mask_phone``); this filter is
the net under a forgotten one, and under messages the project does not write (a library's exception text
quoting a request body, a database error quoting a row).
"""

from __future__ import annotations

import logging
import re

from .personal import hide_numbers

REPLACEMENT = "[hidden]"
# JSON and SQL literals spell non-ASCII text as \\uXXXX; decoded, a number next to Chinese text stands
# alone again (``\\u8bdd139…`` would hide it behind the escape's hex digits).
_ESCAPE_RE = re.compile(r"\\{1,2}u([0-9a-fA-F]{4})")


def _readable(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)


class PersonalDataFilter(logging.Filter):
    """Rewrite each record's message with personal numbers hidden; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True  # a malformed record is the logging module's to report, not ours to drop
        hidden = hide_numbers(_readable(message), replacement=REPLACEMENT)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = hide_numbers(_readable(record.exc_text), replacement=REPLACEMENT)
        if hidden != message:
            record.msg, record.args = hidden, None  # the decoded escapes stay decoded: easier to read
        return True
