"""Copy a claim's documents out of the store for a clerk (``python -m bot claims documents REF --extract DIR``)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from bot.claims.intake import document_store
from bot.claims.storage import DocumentStore, StorageError
from bot.data.claims import ClaimRecord


class ExtractError(Exception):
    """A document is missing or damaged in the store, or the folder cannot be written."""


def extract_documents(record: ClaimRecord, folder: Path, store: DocumentStore | None = None) -> list[Path]:
    """Write each document to ``folder`` as ``NN-<name>``, each checked against its SHA-256 first."""
    store = store or document_store()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExtractError(f"cannot create {folder}: {exc.strerror}") from None
    written = []
    for number, document in enumerate(record.documents, 1):
        try:
            data = store.read(document.storage_key)
        except StorageError:
            raise ExtractError(f"document {number} ({document.filename}) is missing from the store") from None
        if hashlib.sha256(data).hexdigest() != document.sha256:
            raise ExtractError(
                f"document {number} ({document.filename}) is damaged: its SHA-256 does not match"
            )
        path = folder / f"{number:02d}-{document.filename}"  # a safe name (bot/claims/documents.py)
        temporary = path.with_name(path.name + ".part")
        try:
            temporary.write_bytes(data)
            os.replace(temporary, path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise ExtractError(f"cannot write {path}: {exc.strerror}") from None
        written.append(path)
    return written
