"""Where attachments' bytes are kept, by their SHA-256: on this machine's disk (``LocalStore``,
the default) or in an S3-compatible object store (``S3Store``: MinIO, Ceph, AWS S3).

Both read an upload in chunks of ``CHUNK`` bytes (never the whole file in memory), refuse one
larger than the limit with ``FileTooLarge`` leaving nothing behind, and make a file appear
under its name only once complete: a killed upload leaves no half-written file. The same bytes
stored twice are one file. ``file_store(settings)`` picks the store the settings name."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import boto3  # type: ignore[import-untyped]
from boto3.s3.transfer import TransferConfig  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from app.config import Settings

#: Bytes read or sent at a time.
CHUNK = 1024 * 1024
#: Size of each part of an S3 multipart upload (S3's smallest is 5 MiB). Files up to it go in
#: one request; a larger one in parts, at most ``UPLOAD_THREADS`` of them in memory at a time.
PART = 8 * CHUNK
UPLOAD_THREADS = 4

_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Stored:
    """What was kept: the name of the bytes (lowercase hex SHA-256) and their size."""

    sha256: str
    size: int


class FileTooLarge(Exception):
    """The upload is larger than ``limit`` bytes; nothing of it was kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


class FileStore(Protocol):
    def put(self, source: BinaryIO, max_bytes: int) -> Stored:
        """Keep ``source``'s bytes from its current position (read in chunks); the same bytes
        twice are kept once. More than ``max_bytes``: ``FileTooLarge``, nothing kept."""
        ...

    def open(self, sha256: str) -> Iterator[bytes]:
        """The bytes, in chunks of at most ``CHUNK``; ``FileNotFoundError`` when not kept."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def verify(self, sha256: str) -> bool:
        """The bytes are kept and their SHA-256 is still ``sha256``."""
        ...


def _checked(sha256: str) -> str:
    if not _HEX.fullmatch(sha256):
        raise ValueError(f"not a lowercase hex SHA-256: {sha256!r}")
    return sha256


def _read(source: BinaryIO, max_bytes: int, sink: Callable[[bytes], object]) -> Stored:
    """Read ``source`` to its end in chunks, giving each to ``sink``; its hash and size."""
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise FileTooLarge(max_bytes)
        digest.update(chunk)
        sink(chunk)
    return Stored(digest.hexdigest(), size)


def _hash_of(chunks: Iterator[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


class LocalStore:
    """Files under ``root`` (``data_dir/files``) at ``ab/cd/<sha256>``, written first to a
    temporary file in ``root/tmp`` (the same file system), synced, then renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"

    def path(self, sha256: str) -> Path:
        _checked(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, source: BinaryIO, max_bytes: int) -> Stored:
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="upload-")
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                stored = _read(source, max_bytes, out.write)
                out.flush()
                os.fsync(out.fileno())
            path = self.path(stored.sha256)
            path.parent.mkdir(parents=True, exist_ok=True)
            # the same bytes again replace themselves: one file, and a damaged copy healed
            os.replace(temp, path)
            _sync_folder(path.parent)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return stored

    def open(self, sha256: str) -> Iterator[bytes]:
        handle = self.path(sha256).open("rb")  # FileNotFoundError now, not at the first chunk
        return _file_chunks(handle)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def verify(self, sha256: str) -> bool:
        try:
            return _hash_of(self.open(sha256)) == sha256
        except FileNotFoundError:
            return False


def _file_chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _sync_folder(folder: Path) -> None:
    """Make a rename into ``folder`` durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class S3Store:
    """Objects ``<prefix>sha256/<hex>`` in a bucket of an S3-compatible store. An upload is
    hashed first (one read of the seekable source, the limit checked), then sent with
    ``upload_fileobj``: in parts when large, the object appearing only once complete."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.transfer = TransferConfig(
            multipart_threshold=PART, multipart_chunksize=PART, max_concurrency=UPLOAD_THREADS
        )
        # parts read ahead of their upload are held in memory: no more than those in flight
        self.transfer.max_in_memory_upload_chunks = UPLOAD_THREADS

    def key(self, sha256: str) -> str:
        return f"{self.prefix}sha256/{_checked(sha256)}"

    def create_bucket_if_missing(self, region: str) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as error:
            if not _missing(error):
                raise
        where = {} if region == "us-east-1" else {"LocationConstraint": region}
        try:
            if where:
                self.client.create_bucket(Bucket=self.bucket, CreateBucketConfiguration=where)
            else:
                self.client.create_bucket(Bucket=self.bucket)
        except ClientError as error:  # made meanwhile by another process
            if error.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                raise

    def put(self, source: BinaryIO, max_bytes: int) -> Stored:
        start = source.tell()
        stored = _read(source, max_bytes, lambda chunk: None)
        if not self.exists(stored.sha256):
            source.seek(start)
            self.client.upload_fileobj(
                source, self.bucket, self.key(stored.sha256), Config=self.transfer
            )
        return stored

    def open(self, sha256: str) -> Iterator[bytes]:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as error:
            if _missing(error):
                raise FileNotFoundError(sha256) from error
            raise
        return _body_chunks(response["Body"])

    def exists(self, sha256: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as error:
            if _missing(error):
                return False
            raise
        return True

    def verify(self, sha256: str) -> bool:
        try:
            return _hash_of(self.open(sha256)) == sha256
        except FileNotFoundError:
            return False


def _missing(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NoSuchBucket", "NotFound"}


def _body_chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()


def file_store(settings: Settings) -> FileStore:
    """The store ``settings`` name, one per distinct configuration (its client reused)."""
    if settings.file_store == "s3":
        if not settings.s3_bucket:
            raise ValueError("TRIPARTITE_FILE_STORE is s3 but TRIPARTITE_S3_BUCKET is not set")
        return _s3_store(
            settings.s3_endpoint_url,
            settings.s3_bucket,
            settings.s3_prefix,
            settings.s3_region,
            settings.s3_access_key_id,
            settings.s3_secret_access_key,
            settings.s3_create_bucket,
        )
    return _local_store(settings.data_dir.resolve() / "files")


@lru_cache(maxsize=32)
def _local_store(root: Path) -> LocalStore:
    return LocalStore(root)


@lru_cache(maxsize=32)
def _s3_store(
    endpoint_url: str,
    bucket: str,
    prefix: str,
    region: str,
    access_key_id: str,
    secret_access_key: str,
    create_bucket: bool,
) -> S3Store:
    config = Config(
        # a named endpoint (MinIO, Ceph) is addressed by path: no per-bucket DNS name needed
        s3={"addressing_style": "path"} if endpoint_url else {},
        retries={"mode": "standard"},
        # checksums only where S3 requires them: stores other than AWS S3 (older Ceph, MinIO)
        # refuse boto3's default trailing checksums; verify() checks the SHA-256 of the bytes
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    # a session of its own: boto3's default one is not safe to share between threads
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=region,
        aws_access_key_id=access_key_id or None,
        aws_secret_access_key=secret_access_key or None,
        config=config,
    )
    store = S3Store(client, bucket, prefix)
    if create_bucket:
        store.create_bucket_if_missing(region)
    return store
