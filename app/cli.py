"""The ``tripartite`` command: serve, db upgrade, demo [--json], create-admin."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from app.config import Settings

cli = typer.Typer(
    help="Tripartite: tripartite social dialogue with equal weight for each group.",
    no_args_is_help=True,
    add_completion=False,
)
db_cli = typer.Typer(help="Database schema commands.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the web application (settings from TRIPARTITE_* variables)."""
    import uvicorn

    settings = Settings()
    uvicorn.run(
        "app.main:app_from_env",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        proxy_headers=False,
        log_level="info",
    )


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply the migrations to the configured database."""
    from app.migrate import upgrade

    settings = Settings()
    upgrade(settings.resolved_database_url(), revision)
    typer.echo(f"database at {revision}: {_display_url(settings)}")


def _display_url(settings: Settings) -> str:
    url = settings.resolved_database_url()
    return url.split("@")[-1] if "@" in url else url


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """A write session on the configured database, its engine disposed however the block ends."""
    from app.db import make_engine, make_sessionmaker, open_session

    engine = make_engine(settings.resolved_database_url(), pool_size=1)
    try:
        with open_session(make_sessionmaker(engine), write=True) as session:
            yield session
    finally:
        engine.dispose()


@cli.command()
def demo(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the demo as one JSON object.")
    ] = False,
) -> None:
    """Load the demo into an empty database (does nothing if it holds data) and print the logins."""
    from app import demo as demo_data

    settings = Settings()
    with _session(settings) as db:
        loaded = demo_data.database_is_empty(db)
        if loaded:
            demo_data.load(db, settings.demo_password)
            db.commit()
        description = demo_data.describe(
            db, settings.demo_password, f"http://{settings.host}:{settings.port}"
        )
    if as_json:
        typer.echo(json.dumps(description, indent=2))
        return
    typer.echo("Demo loaded." if loaded else "The database already holds data; demo not loaded.")
    typer.echo(f"Every demo account's password: {settings.demo_password}")
    for account in description["accounts"]:
        where = f"{account['organisation']} ({account['group']})" if account["organisation"] else ""
        typer.echo(f"  {account['email']:<32} {account['role']:<15} {where}")


@cli.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True, help="The administrator's email.")],
    name: Annotated[str, typer.Option(prompt=True, help="The administrator's name.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, help="At least 12 characters."
        ),
    ],
) -> None:
    """Create an administrator account."""
    from app.accounts.service import create_platform_user
    from app.errors import DomainError
    from app.vocabulary import PlatformRole

    settings = Settings()
    with _session(settings) as db:
        try:
            user = create_platform_user(db, email, name, password, PlatformRole.ADMIN, settings)
        except DomainError as error:
            typer.echo(f"error: {error.message}", err=True)
            raise typer.Exit(2) from None
        db.commit()
        typer.echo(f"administrator created: {user.email}")


def main() -> None:
    cli()


@cli.command("send-mail")
def send_mail(
    loop: Annotated[int, typer.Option(help="Repeat every N seconds (0: run once).")] = 0,
) -> None:
    """Queue reminders and emails for notifications, then deliver the outbox over SMTP."""
    import time

    from app.db import utcnow
    from app.notifications import service

    settings = Settings()
    while True:
        with _session(settings) as db:
            now = utcnow()
            reminders = service.queue_reminders(db, now)
            queued = service.queue_emails(db, settings, now)
            db.commit()
            sent, failed = service.deliver(db, settings, now)
            db.commit()
        typer.echo(
            f"{reminders} reminders, {queued} emails queued, {sent} sent, "
            f"{failed} failed (retried later)"
        )
        if loop <= 0:
            return
        time.sleep(loop)
