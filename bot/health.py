"""Small helpers shared by the launcher, scripts and tests: is a URL up, which model is current."""
from __future__ import annotations

import subprocess
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def responds(url: str, timeout: float = 2.0) -> bool:
    """True when ``url`` answers HTTP 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status == 200
    except Exception:
        return False


def current_model() -> Path:
    """The model for the current training inputs (scripts/model_path.sh); may not exist yet."""
    out = subprocess.run([str(ROOT / "scripts" / "model_path.sh")], capture_output=True, text=True, check=True)
    return ROOT / out.stdout.strip()
