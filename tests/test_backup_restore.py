"""ops/backup.sh and ops/restore.sh: a dump of the demo restores into an empty database with
every row, the same summaries, and the audit log still append-only (PostgreSQL only); the
attachments' files on disk come back with it."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.documents.storage import LocalStore, file_store
from app.models import Round
from app.summaries.service import load_header, round_summary
from tests.conftest import IN_CI, PostgresServer

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _tools() -> None:
    missing = [tool for tool in ("pg_dump", "pg_restore", "psql") if shutil.which(tool) is None]
    if missing:
        message = f"{', '.join(missing)} not installed (Debian: postgresql-client)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
            return {
                name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                for name in names
            }
    finally:
        engine.dispose()


def _summaries(url: str) -> dict[int, dict[str, object]]:
    """Every round's summary, as published, less the moment it was generated."""
    engine = create_engine(url)
    try:
        with Session(engine) as db:
            summaries = {}
            for round_id in db.scalars(select(Round.id).order_by(Round.id)):
                header = load_header(db, round_id)
                if header.status.value == "draft":
                    continue
                summary = round_summary(db, header)
                summary.pop("generated_at")
                summaries[round_id] = summary
            return summaries
    finally:
        engine.dispose()


def test_a_backup_restores_into_an_empty_database(
    backend: str, postgres_server: PostgresServer | None, tmp_path: Path
) -> None:
    if backend != "postgresql":
        pytest.skip("pg_dump and pg_restore back up PostgreSQL (the production database)")
    if postgres_server is None:
        pytest.skip("PostgreSQL not reachable (required when CI=true)")
    _tools()
    source = postgres_server.new_database()
    target = postgres_server.new_database()
    env = {"TRIPARTITE_DATABASE_URL": source, "TRIPARTITE_DATA_DIR": str(tmp_path)}
    for command in (["db", "upgrade"], ["demo"]):
        result = runner.invoke(cli, command, env=env)
        assert result.exit_code == 0, result.output

    files = file_store(Settings(data_dir=tmp_path))
    assert isinstance(files, LocalStore)
    contents = [os.urandom(3 * 1024 * 1024), b"minutes of the round", b""]
    kept = [files.put(io.BytesIO(content), max_bytes=10_000_000) for content in contents]
    (files.tmp / "upload-cut-off").write_bytes(b"half an upload")

    dump = tmp_path / "tripartite.dump"
    backup = subprocess.run(
        ["bash", str(ROOT / "ops/backup.sh"), str(dump)],
        env={
            "PATH": "/usr/bin:/bin",
            "TRIPARTITE_DATABASE_URL": source,
            "TRIPARTITE_DATA_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert backup.returncode == 0, backup.stderr
    assert dump.stat().st_size > 0
    assert not list(tmp_path.glob(".tripartite.dump.*"))  # no partial file left behind
    assert (tmp_path / "tripartite.dump.files.tar").stat().st_size > 3 * 1024 * 1024

    restored_data = tmp_path / "restored"
    restore = subprocess.run(
        ["bash", str(ROOT / "ops/restore.sh"), str(dump), target],
        env={"PATH": "/usr/bin:/bin", "TRIPARTITE_DATA_DIR": str(restored_data)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert restore.returncode == 0, restore.stderr

    # every attachment file is back, whole, and nothing of the temporary folder
    restored_files = file_store(Settings(data_dir=restored_data))
    assert all(restored_files.verify(stored.sha256) for stored in kept)
    back = sorted(p.relative_to(restored_data) for p in restored_data.rglob("*") if p.is_file())
    # every attachment row of the restored database has its bytes, and their checksum matches
    # (the demo attaches a background study and a position paper)
    engine = create_engine(target)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT sha256, size FROM attachment_versions")).all()
    finally:
        engine.dispose()
    assert len(rows) >= 2
    for sha256, size in rows:
        assert restored_files.verify(sha256), sha256
        assert sum(len(chunk) for chunk in restored_files.open(sha256)) == size
    demo_files = {files.path(sha256).relative_to(tmp_path) for sha256, _size in rows}
    expected = {files.path(s.sha256).relative_to(tmp_path) for s in kept} | demo_files
    assert back == sorted(expected)

    counts = _counts(source)
    assert counts["audit_events"] > 0 and counts["comments"] > 0 and counts["positions"] > 0
    assert _counts(target) == counts
    summaries = _summaries(source)
    assert summaries  # the demo's open and published rounds
    restored = _summaries(target)
    assert {i: s["fingerprint"] for i, s in restored.items()} == {
        i: s["fingerprint"] for i, s in summaries.items()
    }
    assert restored == summaries

    # the restored audit log is still append-only, and the sequences go on after the dump's ids
    engine = create_engine(target)
    try:
        refused = ("UPDATE audit_events SET action = 'rewritten'", "DELETE FROM audit_events")
        for statement in refused:
            with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(statement))
        with engine.begin() as conn:
            top = conn.execute(text("SELECT max(id) FROM comments")).scalar_one()
            following = conn.execute(
                text("SELECT nextval(pg_get_serial_sequence('comments', 'id'))")
            ).scalar_one()
            assert following > top
    finally:
        engine.dispose()

    # restoring over a database that holds data is refused
    again = subprocess.run(
        ["bash", str(ROOT / "ops/restore.sh"), str(dump), target],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 1
    assert "not empty" in again.stderr
