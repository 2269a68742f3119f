"""Structured JSON log lines, with personal data masked, for every process we run."""

from __future__ import annotations

import json
import logging
import time
import warnings

from bot.ops.privacy import PersonalDataFilter


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "INFO") -> None:
    """Route the root logger (and Python warnings) to stderr as masked JSON lines.

    Replaces whatever handlers the root logger had, so it can run again after
    a library installed its own (Rasa installs coloredlogs' after reading
    `--logging-config-file`).
    """
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(PersonalDataFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)
    # Deprecation notices are for whoever upgrades the libraries, not for
    # operations: Python hides them by default too.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
