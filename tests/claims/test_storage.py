"""The local document store: content-hash names, staging, publish, discard."""

import hashlib

import pytest

from bot.claims.storage import LocalDocumentStore, StorageError, document_key

SHA = hashlib.sha256(b"bytes").hexdigest()


def test_stage_publish_read(tmp_path):
    store = LocalDocumentStore(tmp_path)
    staged = store.stage(b"bytes")
    key = document_key("GAP-ABCDEFGH", SHA)
    assert store.publish(staged, key) is True
    assert store.read(key) == b"bytes"
    assert (tmp_path / "GAP-ABCDEFGH" / SHA).read_bytes() == b"bytes"
    assert list((tmp_path / ".tmp").iterdir()) == []  # the staged file became the document


def test_publishing_over_an_existing_file_says_so(tmp_path):
    store = LocalDocumentStore(tmp_path)
    key = document_key("GAP-ABCDEFGH", SHA)
    store.publish(store.stage(b"bytes"), key)
    assert store.publish(store.stage(b"bytes"), key) is False


def test_discard_and_remove(tmp_path):
    store = LocalDocumentStore(tmp_path)
    staged = store.stage(b"bytes")
    store.discard(staged)
    assert list((tmp_path / ".tmp").iterdir()) == []
    key = document_key("GAP-ABCDEFGH", SHA)
    store.publish(store.stage(b"bytes"), key)
    store.remove(key)
    with pytest.raises(StorageError):
        store.read(key)


@pytest.mark.parametrize(
    "reference, sha",
    [("../etc", SHA), ("GAP-ABCDEFGH", "../../x"), ("GAP-ABCDEFGH", SHA.upper()), ("x", SHA)],
)
def test_keys_are_only_references_and_hashes(reference, sha):
    with pytest.raises(ValueError):
        document_key(reference, sha)


def test_a_key_that_is_a_path_is_never_opened(tmp_path):
    with pytest.raises(ValueError):
        LocalDocumentStore(tmp_path).read("../../etc/passwd")


def test_unwritable_storage_is_a_storage_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError):
        LocalDocumentStore(blocker).stage(b"bytes")
