"""Masking of personal data in every log line we control: VINs, ZIP codes, phone
numbers, emails, identity slot values and whatever the customer typed."""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

import structlog

_PATTERNS = [
    (re.compile(r"\b(?=[A-Z0-9]*\d)[A-HJ-NPR-Z0-9]{17}\b", re.IGNORECASE), "[vin]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
    (re.compile(r"(?<![\w-])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?![\w-])"), "[phone]"),
    (re.compile(r"(?<![\w:/-])\d{5}(?:-\d{4})?(?![\w-])"), "[zip]"),  # not ports (":15005")
]
# Rasa's own lines that quote the customer's message or identity slot values;
# its warnings about a "/payload" quote the whole line and the intent it read.
_USER_TEXT = re.compile(
    r"(Received user message |text=|parse_data_text=|user_text=|'text': |in line )('[^']*'|\"[^\"]*\"|\S+)"
)
_PAYLOAD_INTENT = re.compile(r"(but found ).*?(\.Continuing|$)", re.S)
_SLOT_VALUES = re.compile(
    r"\b(last_name|zip_code|vin|first_name|phone|email)(['\"]?\s*[:=]\s*)('[^']*'|\"[^\"]*\"|[^\s,}]+)"
)
_PERSONAL_KEYS = {"text", "parse_data_text", "user_text", "message", "last_name", "zip_code", "vin", "phone"}


def mask(text: str) -> str:
    """Replace anything that looks like personal data in ``text``."""
    text = _USER_TEXT.sub(lambda m: m.group(1) + "[message]", text)
    text = _PAYLOAD_INTENT.sub(lambda m: m.group(1) + "[message]" + m.group(2), text)
    text = _SLOT_VALUES.sub(lambda m: m.group(1) + m.group(2) + "[redacted]", text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class PersonalDataFilter(logging.Filter):
    """Masks each record's message and traceback, whatever its level."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call must not break the request
            return True
        record.msg, record.args = mask(message), ()
        if record.exc_info:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def _mask_event(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key in _PERSONAL_KEYS and value is not None:
            event[key] = "[redacted]"
        elif isinstance(value, str):
            event[key] = mask(value)
        elif isinstance(value, (dict, list)):
            event[key] = mask(str(value))
    return event


def install() -> None:
    """Mask personal data on every handler of the root logger and in structlog."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
            handler.addFilter(PersonalDataFilter())
    processors = list(structlog.get_config().get("processors", []))
    if _mask_event not in processors:
        structlog.configure(processors=[_mask_event] + processors)
