"""Is a URL up? Shared by the supervisor, topology, bench and tests."""

from __future__ import annotations

import urllib.request


def responds(url: str, timeout: float = 2.0) -> bool:
    """True when ``url`` answers HTTP 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status == 200
    except Exception:
        return False
