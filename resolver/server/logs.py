"""The server's log: a level, text or JSON lines, on stderr (journald reads stderr).

The handler is ours and replaced on reload; an application that configured logging itself keeps
its own and only the level is set.
"""

from __future__ import annotations

import json
import logging
import sys
import time

LOGGER = "resolver"
_FORMAT = "%(asctime)s %(name)s %(levelname)s: %(message)s"
# Which process logs, when several serve (resolver/server/workers.py): "worker 1".
_process = ""


def name_process(name: str) -> None:
    """Mark every later line of this process's log with `name` (text: "[name]", JSON: a
    "process" key)."""
    global _process
    _process = name


class JsonLines(logging.Formatter):
    """One JSON object per line: time (RFC 3339, UTC), level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        entry = {
            "time": f"{stamp}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if _process:
            entry["process"] = _process
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so a reload replaces only it."""


def configure(level: str = "info", json_lines: bool = False) -> None:
    """Log `resolver.*` at `level` to stderr, as text or JSON lines."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(getattr(logging, level.upper(), logging.INFO))
    ours = [handler for handler in logger.handlers if isinstance(handler, _OurHandler)]
    if not ours and (logging.getLogger().handlers or logger.handlers):
        return  # the application logs its own way
    for handler in ours:
        logger.removeHandler(handler)
    handler = _OurHandler(sys.stderr)
    text = _FORMAT.replace("%(name)s", f"%(name)s[{_process}]") if _process else _FORMAT
    handler.setFormatter(JsonLines() if json_lines else logging.Formatter(text))
    logger.addHandler(handler)
