"""The README's REST example, extracted and run as printed (only the port differs).

A newcomer's first copied command must work: if the README's example stops
answering (an invalid sender id, a moved URL), this fails.
"""

from __future__ import annotations

import re
import shlex
import subprocess

from bot.settings import ROOT


def readme_rest_example() -> list[str]:
    """The `curl …/webhooks/rest/webhook` command from README.md, as argv."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^\s*(curl [^\n]*webhooks/rest/webhook[^\n]*\\\n[^\n]*)$", text, re.M)
    assert match, "README.md has no curl example for the REST channel"
    return shlex.split(match.group(1).replace("\\\n", " "))


def test_readme_rest_example_answers(stack) -> None:
    argv = readme_rest_example()
    port = stack.rasa_url.rsplit(":", 1)[1]
    argv = [a.replace("localhost:5005", f"127.0.0.1:{port}") for a in argv]
    out = subprocess.run([*argv, "-w", "\n%{http_code}"], capture_output=True, text=True, timeout=60)
    body, status = out.stdout.rsplit("\n", 1)
    assert status == "200", out.stdout
    assert "rental" in body.lower() and "Basic Guard" in body, body
