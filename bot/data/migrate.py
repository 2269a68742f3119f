"""Run the Alembic migrations programmatically (CLI ``db upgrade`` and tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


def head_revision() -> str:
    """The newest migration's revision id."""
    head = ScriptDirectory.from_config(Config(str(ALEMBIC_INI))).get_current_head()
    assert head is not None
    return head


def upgrade(url: str | None = None) -> None:
    """``alembic upgrade head`` against ``url`` (default: ``database_url()``)."""
    config = Config(str(ALEMBIC_INI))
    # Passed as an attribute, not an ini option, so '%' in passwords needs no escaping.
    config.attributes["url"] = url
    command.upgrade(config, "head")
