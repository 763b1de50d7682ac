"""The store of attachments' bytes, on disk and in an S3-compatible store (a real S3 server:
moto's, on 127.0.0.1): what is put comes back whole, by its SHA-256, once; nothing too large,
nothing interrupted is ever left behind; a large upload is read in chunks."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from pathlib import Path

import pytest

from app.config import Settings
from app.documents.storage import (
    CHUNK,
    PART,
    FileStore,
    FileTooLarge,
    LocalStore,
    S3Store,
    Stored,
    file_store,
)
from tests.storage_server import (  # noqa: F401 (the fixtures file_store, storage_settings)
    file_store_fixture,
    s3_settings,
    storage_settings_fixture,
)

Store = tuple[Settings, FileStore]


def _kept(settings: Settings, store: FileStore) -> list[str]:
    """Every object the store holds (the local store's temporary files aside), and for the
    local store every temporary file, marked ``tmp/``."""
    if isinstance(store, S3Store):
        listing = store.client.list_objects_v2(Bucket=store.bucket, Prefix=settings.s3_prefix)
        uploads = store.client.list_multipart_uploads(Bucket=store.bucket)
        unfinished = [
            f"unfinished/{upload['Key']}"
            for upload in uploads.get("Uploads", [])
            if upload["Key"].startswith(settings.s3_prefix)
        ]
        return [item["Key"] for item in listing.get("Contents", [])] + unfinished
    assert isinstance(store, LocalStore)
    root = settings.data_dir / "files"
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


class Recording(io.BytesIO):
    """A source that remembers the most bytes it was asked for, and gave, at once."""

    def __init__(self, content: bytes) -> None:
        super().__init__(content)
        self.largest_ask = 0
        self.largest_read = 0
        self.reads = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.largest_ask = max(self.largest_ask, -1 if size is None else size)
        self.largest_read = max(self.largest_read, len(chunk))
        self.reads += 1
        return chunk


class Breaking(io.BytesIO):
    """A source whose connection drops: its read number ``fail_at`` (counted from 1) raises."""

    def __init__(self, content: bytes, fail_at: int) -> None:
        super().__init__(content)
        self.fail_at = fail_at
        self.reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        if self.reads == self.fail_at:
            raise ConnectionResetError("the upload was cut off")
        return super().read(size)


def test_what_is_put_comes_back_whole_by_its_sha256(file_store: Store) -> None:
    settings, store = file_store
    content = os.urandom(3 * CHUNK + 123)
    stored = store.put(io.BytesIO(content), max_bytes=settings.attachment_max_bytes)
    assert stored == Stored(sha256=hashlib.sha256(content).hexdigest(), size=len(content))
    assert store.exists(stored.sha256)
    assert store.verify(stored.sha256)
    chunks = list(store.open(stored.sha256))
    assert b"".join(chunks) == content
    assert len(chunks) >= 4 and max(len(chunk) for chunk in chunks) <= CHUNK


def test_a_source_is_read_from_where_it_stands(file_store: Store) -> None:
    settings, store = file_store
    source = io.BytesIO(b"header|the document itself")
    source.seek(len(b"header|"))
    stored = store.put(source, max_bytes=100)
    assert b"".join(store.open(stored.sha256)) == b"the document itself"
    assert stored == Stored(hashlib.sha256(b"the document itself").hexdigest(), 19)


def test_an_empty_file_is_kept_too(file_store: Store) -> None:
    settings, store = file_store
    stored = store.put(io.BytesIO(b""), max_bytes=100)
    assert stored == Stored(hashlib.sha256(b"").hexdigest(), 0)
    assert store.verify(stored.sha256)
    assert b"".join(store.open(stored.sha256)) == b""


def test_what_was_never_put_is_not_there(file_store: Store) -> None:
    settings, store = file_store
    unknown = hashlib.sha256(b"never put").hexdigest()
    assert not store.exists(unknown)
    assert not store.verify(unknown)
    with pytest.raises(FileNotFoundError):
        store.open(unknown)


@pytest.mark.parametrize("name", ["../../etc/passwd", "AB" * 32, "ab" * 31, "", "g" * 64])
def test_only_a_lowercase_hex_sha256_names_a_file(file_store: Store, name: str) -> None:
    settings, store = file_store
    for look in (store.exists, store.open, store.verify):
        with pytest.raises(ValueError):
            look(name)


def test_the_same_bytes_twice_are_one_object(file_store: Store) -> None:
    settings, store = file_store
    first = store.put(io.BytesIO(b"the same minutes"), max_bytes=100)
    second = store.put(io.BytesIO(b"the same minutes"), max_bytes=100)
    assert first == second
    assert len(_kept(settings, store)) == 1
    other = store.put(io.BytesIO(b"other minutes"), max_bytes=100)
    assert other.sha256 != first.sha256
    assert len(_kept(settings, store)) == 2


def test_the_local_store_keeps_a_file_at_ab_cd_sha256(storage_settings: Settings) -> None:
    store = file_store(storage_settings)
    stored = store.put(io.BytesIO(b"minutes"), max_bytes=100)
    h = stored.sha256
    assert _kept(storage_settings, store) == [f"{h[:2]}/{h[2:4]}/{h}"]
    assert (storage_settings.data_dir / "files" / h[:2] / h[2:4] / h).read_bytes() == b"minutes"


@pytest.mark.parametrize("size", [2 * CHUNK + 1, 5 * CHUNK])
def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(file_store: Store, size: int) -> None:
    settings, store = file_store
    with pytest.raises(FileTooLarge) as refused:
        store.put(io.BytesIO(b"x" * size), max_bytes=2 * CHUNK)
    assert refused.value.limit == 2 * CHUNK
    assert _kept(settings, store) == []
    # exactly the limit is accepted
    stored = store.put(io.BytesIO(b"x" * 2 * CHUNK), max_bytes=2 * CHUNK)
    assert stored.size == 2 * CHUNK
    assert len(_kept(settings, store)) == 1


def test_an_upload_cut_off_midway_leaves_nothing(file_store: Store) -> None:
    settings, store = file_store
    content = os.urandom(3 * CHUNK)
    with pytest.raises(ConnectionResetError):
        store.put(Breaking(content, fail_at=3), max_bytes=settings.attachment_max_bytes)
    assert _kept(settings, store) == []
    assert not store.exists(hashlib.sha256(content).hexdigest())


@pytest.mark.parametrize("size", [CHUNK, 3 * PART])
def test_an_s3_upload_cut_off_while_sending_leaves_no_object(
    storage_settings: Settings, size: int
) -> None:
    """The second pass (the upload itself, in one request or in parts) fails after the
    hash was taken: no object, no unfinished multipart upload."""
    settings = s3_settings(storage_settings)
    store = file_store(settings)
    content = os.urandom(size)
    hashing_reads = size // CHUNK + 1  # the first pass ends on an empty read
    with pytest.raises(ConnectionResetError):
        store.put(Breaking(content, fail_at=hashing_reads + 2), max_bytes=4 * PART)
    assert _kept(settings, store) == []


def test_a_local_upload_is_renamed_into_place_only_when_complete(
    storage_settings: Settings,
) -> None:
    """While the bytes arrive they are in files/tmp, never at the content path."""
    store = file_store(storage_settings)
    seen: list[list[str]] = []
    content = os.urandom(2 * CHUNK + 5)

    class Watching(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            seen.append(_kept(storage_settings, store))
            return super().read(size)

    stored = store.put(Watching(content), max_bytes=10 * CHUNK)
    assert seen and all(len(files) == 1 and files[0].startswith("tmp/") for files in seen)
    h = stored.sha256
    assert _kept(storage_settings, store) == [f"{h[:2]}/{h[2:4]}/{h}"]


def test_a_60_mb_file_is_read_and_sent_in_chunks(file_store: Store) -> None:
    settings, store = file_store
    content = os.urandom(60_000_000)
    source = Recording(content)
    tracemalloc.start()
    try:
        stored = store.put(source, max_bytes=64_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored.size == 60_000_000
    if isinstance(store, LocalStore):
        assert source.largest_read == CHUNK and source.largest_ask == CHUNK
        assert peak < 4 * CHUNK
    else:  # hashed in chunks, then sent in parts (the S3 server here runs in this process)
        assert source.largest_read <= PART and source.largest_ask <= PART
    assert source.reads > 60_000_000 // CHUNK  # 58 reads at least: 1 MiB at a time at most
    largest = 0
    digest = hashlib.sha256()
    for chunk in store.open(stored.sha256):
        largest = max(largest, len(chunk))
        digest.update(chunk)
    assert digest.hexdigest() == stored.sha256 and largest <= CHUNK


def _alter(settings: Settings, store: FileStore, sha256: str, content: bytes) -> None:
    if isinstance(store, S3Store):
        store.client.put_object(Bucket=store.bucket, Key=store.key(sha256), Body=content)
    else:
        assert isinstance(store, LocalStore)
        store.path(sha256).write_bytes(content)


def test_verify_finds_bytes_altered_in_the_store(file_store: Store) -> None:
    settings, store = file_store
    content = b"the signed record of the round"
    stored = store.put(io.BytesIO(content), max_bytes=100)
    _alter(settings, store, stored.sha256, content.replace(b"signed", b"forged"))
    assert store.exists(stored.sha256)
    assert not store.verify(stored.sha256)
    _alter(settings, store, stored.sha256, content[:-1])  # truncated
    assert not store.verify(stored.sha256)
    # putting the right bytes again mends it
    store.put(io.BytesIO(content), max_bytes=100)
    if isinstance(store, LocalStore):
        assert store.verify(stored.sha256)


def test_one_store_per_configuration(storage_settings: Settings, tmp_path: Path) -> None:
    local = file_store(storage_settings)
    assert file_store(storage_settings.model_copy()) is local
    assert isinstance(local, LocalStore) and local.root == tmp_path.resolve() / "files"
    elsewhere = storage_settings.model_copy(update={"data_dir": tmp_path / "other"})
    assert file_store(elsewhere) is not local
    s3 = s3_settings(storage_settings)
    assert file_store(s3) is file_store(s3.model_copy())
    assert file_store(s3) is not file_store(s3_settings(storage_settings))  # another prefix


def test_s3_needs_a_bucket(storage_settings: Settings) -> None:
    with pytest.raises(ValueError, match="TRIPARTITE_S3_BUCKET"):
        file_store(storage_settings.model_copy(update={"file_store": "s3"}))
