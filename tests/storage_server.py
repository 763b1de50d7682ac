"""An S3-compatible server for the tests (moto in server mode on 127.0.0.1 and a free port),
started once per test process, so each pytest-xdist worker has its own, and the ``file_store``
fixture that runs a test on both stores.

Test modules take the fixtures by importing their functions, as with tests/committed.py::

    from tests.storage_server import (  # noqa: F401 (the fixtures file_store, storage_settings)
        file_store_fixture,
        storage_settings_fixture,
    )

``file_store`` yields ``(settings, store)``, once with the local store (files under the test's
``tmp_path``) and once with S3. A module whose tests need other settings (a database, say)
defines its own ``storage_settings`` fixture instead of importing this one: ``file_store``
builds on it. ``s3_settings(settings)`` is the same switch to S3 as a plain function."""

from __future__ import annotations

import atexit
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from app.config import Settings
from app.documents.storage import FileStore, file_store

BUCKET = "tripartite-test"
_started: dict[str, str] = {}
_lock = threading.Lock()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def s3_endpoint() -> str:
    """The address of this process's S3 server, started on first use, stopped at exit."""
    with _lock:
        if "url" not in _started:
            port = _free_port()
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            server.start()
            atexit.register(server.stop)
            _started["url"] = f"http://127.0.0.1:{port}"
        return _started["url"]


def s3_settings(settings: Settings) -> Settings:
    """``settings`` storing files in the test server's bucket (made if missing), under a
    prefix of their own: tests sharing the bucket never see each other's objects."""
    return settings.model_copy(
        update={
            "file_store": "s3",
            "s3_endpoint_url": s3_endpoint(),
            "s3_bucket": BUCKET,
            "s3_prefix": f"test-{uuid.uuid4().hex}/",
            "s3_region": "us-east-1",
            "s3_access_key_id": "testing",
            "s3_secret_access_key": "testing",
            "s3_create_bucket": True,
        }
    )


@pytest.fixture(name="s3_server", scope="session")
def s3_server_fixture() -> str:
    """The S3 server's address (one per test process)."""
    return s3_endpoint()


@pytest.fixture(name="storage_settings")
def storage_settings_fixture(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, secret_key="test-secret")


@pytest.fixture(name="file_store", params=["local", "s3"])
def file_store_fixture(
    request: pytest.FixtureRequest, storage_settings: Settings
) -> Iterator[tuple[Settings, FileStore]]:
    settings = storage_settings if request.param == "local" else s3_settings(storage_settings)
    yield settings, file_store(settings)
