"""Settings, read from the environment (prefix ``TRIPARTITE_``) only when asked for."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_PASSWORD_DEFAULT = "tripartite-demo-2026"

#: Names of this machine, and the name test clients send: trusted together when the site's own
#: address (``base_url``) is one of them.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "testserver"})


def normal_host(name: str) -> str:
    """A host name as compared: lower case, no brackets (IPv6), no trailing dot, no spaces."""
    return name.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")


class Settings(BaseSettings):
    """Every setting, with defaults that run the SQLite demo with zero setup."""

    model_config = SettingsConfigDict(env_prefix="TRIPARTITE_", extra="ignore")

    #: Address and port ``tripartite serve`` listens on.
    host: str = "127.0.0.1"
    port: int = 8000
    #: One log line per request from ``tripartite serve`` (off by default: the proxy in front
    #: logs requests, and the line costs a sixth of a small request's time).
    access_log: bool = False
    #: Folder for the SQLite file and the generated secret key.
    data_dir: Path = Path("var")
    #: SQLAlchemy URL; empty means a SQLite file ``tripartite.db`` in ``data_dir``.
    database_url: str = ""
    #: Secret for signing CSRF tokens; empty means generated once into ``data_dir``.
    secret_key: str = ""
    #: Password shared by every demo account.
    demo_password: str = DEMO_PASSWORD_DEFAULT
    #: Largest request body accepted, in bytes (413 beyond).
    max_body_bytes: int = 1_000_000
    #: How long a sign-in lasts, in hours.
    session_hours: int = 12
    #: How long an invitation link stays valid, in hours.
    invitation_hours: int = 72
    #: Failed sign-ins allowed per account, and per address, within ``login_window_seconds``.
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_window_seconds: int = 900
    #: Shortest password accepted.
    password_min_length: int = 12
    #: Mark the session cookie ``Secure`` (set when served over HTTPS).
    cookie_secure: bool = False
    #: Threads serving requests in each process (database work runs in them).
    threadpool_size: int = 4
    #: How long one live stream of a round page stays open, in seconds; then the browser opens
    #: it again (with the last version it got: nothing is missed) and the session is checked
    #: anew, so a signed-out session's stream ends within this. 0: a stream sends what it has
    #: and ends (for clients that cannot keep one open, such as the test client).
    live_stream_seconds: float = 300.0
    #: Downloads (CSV, JSON, XLSX, PDF) prepared at once in each process; more get a 503.
    export_concurrency: int = 2
    #: Comments one account may post within two minutes (a 10-second pace never meets it).
    posting_limit: int = 20
    #: Flags from this many different organisations hide a comment pending review.
    flag_threshold: int = 3
    #: Outgoing mail (``tripartite send-mail``): server, port, STARTTLS, credentials, sender.
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    mail_from: str = "Tripartite <no-reply@tripartite.example>"
    #: The site's address: links inside emails and invitations are built from it, and requests
    #: naming another host are refused (see ``trusted_hosts``). Empty: the address ``tripartite
    #: serve`` listens on (``http://host:port``), as ``make run`` serves it.
    base_url: str = ""
    #: Other host names the site answers to (comma-separated), besides ``base_url``'s.
    allowed_hosts: str = ""
    #: Serve ``/bench/ceiling`` (a pre-rendered page of a given size) for bench/ scripts only.
    bench_endpoints: bool = False
    #: Address of a reverse proxy whose ``X-Forwarded-For`` is trusted (several: separated by
    #: commas, or a network such as ``10.0.0.0/24``); empty trusts none.
    trusted_proxy: str = ""
    #: Largest attachment accepted, in bytes (a document, a spreadsheet, a scan).
    attachment_max_bytes: int = 50_000_000
    #: Where attachments' bytes are kept: ``local`` (files under ``data_dir/files``, one
    #: machine or a shared folder) or ``s3`` (an S3-compatible store: MinIO, Ceph, AWS S3).
    file_store: Literal["local", "s3"] = "local"
    #: The S3-compatible store's address (``https://minio.internal:9000``); empty: AWS S3.
    s3_endpoint_url: str = ""
    #: The bucket attachments go in, and a prefix of their keys (``tripartite/``, or empty).
    s3_bucket: str = ""
    s3_prefix: str = ""
    #: The store's region (MinIO and Ceph accept the default).
    s3_region: str = "us-east-1"
    #: Credentials; empty: boto3's own chain (environment, ``~/.aws``, an instance role).
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    #: Create the bucket when it is missing (tests, a first MinIO); off in production, where
    #: the bucket is made once with its versioning and replication.
    s3_create_bucket: bool = False

    def trusted_hosts(self) -> frozenset[str]:
        """The host names requests may name (``Host``): ``base_url``'s, those listed in
        ``allowed_hosts``, and, when ``base_url`` is on this machine (the default, for ``make
        run``), every name of this machine and ``testserver`` (the test client's)."""
        own = normal_host(urlsplit(self.site_url()).hostname or "")
        names = {own, *(normal_host(name) for name in self.allowed_hosts.split(","))}
        if own in LOCAL_HOSTS:
            names |= LOCAL_HOSTS
        return frozenset(name for name in names if name)

    def site_url(self) -> str:
        """The site's address, without a trailing slash."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tripartite.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated on first run and kept in ``data_dir``."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        try:  # exclusive create: concurrent first starts agree on one key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key
