"""`python -m bot.rasa_server` is Rasa's command, with skops imported before Rasa.

That it starts Rasa is shown by every e2e test (bot/ops/stack.py starts the
server with it); this checks the order its speed depends on.
"""

from __future__ import annotations

import ast

from bot.ops.stack import RASA_COMMAND
from bot.settings import ROOT


def test_skops_is_imported_before_anything_of_rasa() -> None:
    assert RASA_COMMAND[1:] == ("-m", "bot.rasa_server")
    tree = ast.parse((ROOT / "bot" / "rasa_server" / "__main__.py").read_text())
    imported = [
        alias.name if isinstance(node, ast.Import) else node.module
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    ]
    assert imported.index("skops.io") < imported.index("rasa.__main__")
    assert [name for name in imported if name not in ("sys", "skops.io")][0] == "rasa.__main__"
