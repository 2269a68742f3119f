"""Our set-up of the Rasa server process: JSON logs that survive Rasa's own logging set-up."""

from __future__ import annotations

import io
import json
import logging
import warnings
from collections.abc import Iterator

import pytest

from bot.ops.logs import JsonFormatter
from bot.rasa_server import process as rasa_process


@pytest.fixture
def root_logging() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        with warnings.catch_warnings():  # use_json_logs adds warning filters
            yield root
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.captureWarnings(False)


def test_json_logs_replace_the_handler_rasa_installed(
    root_logging: logging.Logger, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    root_logging.handlers[:] = [logging.StreamHandler(io.StringIO())]  # as coloredlogs does
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    rasa_process.use_json_logs()

    assert len(root_logging.handlers) == 1
    assert isinstance(root_logging.handlers[0].formatter, JsonFormatter)
    logging.getLogger("rasa.core.processor").info("Received user message 'my VIN is 5YJ3E1EAXPF402917'")
    warnings.warn("a library warning with ZIP 98101", stacklevel=1)
    warnings.warn("an old API", DeprecationWarning, stacklevel=1)  # not for operations
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["logger"] for line in lines] == ["rasa.core.processor", "py.warnings"]
    assert all(
        "5YJ3E1EAXPF402917" not in line["message"] and "98101" not in line["message"] for line in lines
    )
