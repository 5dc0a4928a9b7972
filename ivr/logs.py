"""Log lines nobody can forge: what callers send is escaped before it reaches a log.

A webhook's parameters come from the internet. Written into a log line as they are, a `Digits`
holding a line break would start a line of its own that looks like the helpline's. Every record
of the helpline's loggers ("ivr" and below) has the control characters of its values escaped,
whichever handler writes it (gunicorn's, the command line's, a test's).
"""

from __future__ import annotations

import logging
from typing import Any

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_ESCAPES = {
    code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    for code in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)
}


def escape(text: str) -> str:
    """The text with its control characters written as \\x.. escapes."""
    return text.translate(_ESCAPES)


def _escaped(value: Any) -> Any:
    return escape(value) if isinstance(value, str) else value


def install() -> None:
    """Escape the values of every helpline log record from now on (once per process)."""
    make = logging.getLogRecordFactory()
    if getattr(make, "escapes_values", False):
        return

    def escaping(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if record.name == "ivr" or record.name.startswith("ivr."):
            if isinstance(record.args, tuple):
                record.args = tuple(_escaped(value) for value in record.args)
            elif not record.args and isinstance(record.msg, str):
                record.msg = escape(record.msg)
        return record

    escaping.escapes_values = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(escaping)
