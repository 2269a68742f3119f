"""Where claim documents' bytes live: local files under var/ by default, outside the web root.

Files are named by their content hash inside a folder per claim
(``<claim reference>/<sha256>``), never by the client's filename. A write is
two steps so that a file and its database row commit together
(bot/claims/intake.py): ``stage`` writes a temporary file, ``publish`` renames
it to its final key just before the row commits, and ``remove`` takes it back
if the commit fails. Object storage could implement the same interface.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"GAP-[A-Z0-9]{1,16}/[0-9a-f]{64}")
_TMP = ".tmp"


class StorageError(OSError):
    """A document could not be written or read."""


@dataclass(frozen=True)
class Staged:
    """Bytes written under a temporary name, not yet visible under any key."""

    token: str


class DocumentStore(Protocol):
    def stage(self, data: bytes) -> Staged: ...

    def publish(self, staged: Staged, key: str) -> bool:
        """Make ``staged`` the content of ``key``; True if ``key`` did not exist before."""
        ...

    def discard(self, staged: Staged) -> None: ...

    def remove(self, key: str) -> None: ...

    def read(self, key: str) -> bytes: ...


def document_key(claim_reference: str, sha256: str) -> str:
    key = f"{claim_reference}/{sha256}"
    if not _KEY.fullmatch(key):
        raise ValueError("a document key is a claim reference and a SHA-256")
    return key


class LocalDocumentStore:
    """Files under ``root`` (CLAIMS_STORAGE_DIR); staging files in ``root/.tmp`` on the same disk."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):  # a key never comes from a client, but never trust a path
            raise ValueError(f"not a document key: {key!r}")
        return self.root / key

    def _staged_path(self, staged: Staged) -> Path:
        return self.root / _TMP / staged.token

    def stage(self, data: bytes) -> Staged:
        staged = Staged(secrets.token_hex(16))
        path = self._staged_path(staged)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "xb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass  # it was never created
            raise StorageError(f"cannot stage a document: {exc.strerror}") from exc
        return staged

    def publish(self, staged: Staged, key: str) -> bool:
        final = self._path(key)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            existed = final.exists()
            os.replace(self._staged_path(staged), final)
        except OSError as exc:
            raise StorageError(f"cannot store a document: {exc.strerror}") from exc
        return not existed

    def discard(self, staged: Staged) -> None:
        self._staged_path(staged).unlink(missing_ok=True)

    def remove(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except OSError as exc:
            raise StorageError(f"cannot read document {key}: {exc.strerror}") from exc
