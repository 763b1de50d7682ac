"""The ``tripartite`` command: serve, db upgrade, demo [--json], create-admin."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Annotated

import typer
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app.config import Settings

cli = typer.Typer(
    help="Tripartite: tripartite social dialogue with equal weight for each group.",
    no_args_is_help=True,
    add_completion=False,
)
#: Ids are 32-bit integers in the database.
MAX_ID = 2**31 - 1
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
        # the app reads the configured proxy's X-Forwarded-For/-Proto itself (app/main.py);
        # uvicorn would otherwise believe them from 127.0.0.1 by default
        proxy_headers=False,
        # the C event loop and HTTP parser where installed (they are dependencies)
        loop="auto",
        http="auto",
        access_log=settings.access_log,
        log_level="info",
        # open live-update streams end at once on SIGTERM (app/live/broker.py); any other
        # response still running after this long is cut, so a stop never hangs
        timeout_graceful_shutdown=10,
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


def _may_start_over(settings: Settings) -> bool:
    """Whether ``demo --reset`` may drop everything: the database has no tables of ours yet, is
    empty, or holds the demo. A production database is never emptied by a mistyped command."""
    from sqlalchemy import inspect

    from app import demo as demo_data
    from app.db import make_engine

    engine = make_engine(settings.resolved_database_url(), pool_size=1)
    try:
        with engine.connect() as connection:
            if "users" not in inspect(connection).get_table_names():
                return True
    finally:
        engine.dispose()
    with _session(settings) as db:
        return demo_data.database_is_empty(db) or demo_data.holds_the_demo(db)


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """A write session on the configured database, its engine disposed however the block ends."""
    import app.models  # noqa: F401  (every mapper, whatever the command touches)
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
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Start over: drop every table and all the data in the database, recreate "
            "them, then load a fresh demo.",
        ),
    ] = False,
) -> None:
    """Load the demo into an empty database (does nothing if it holds data, unless --reset) and
    print the logins."""
    from app import demo as demo_data

    settings = Settings()
    if reset:
        from app.migrate import reset as reset_database

        if not _may_start_over(settings):
            typer.echo(
                "This database holds data that is not the demo's: `demo --reset` only starts "
                "a demo database over, and it has deleted nothing. To use the demo, point "
                "TRIPARTITE_DATABASE_URL at another database.",
                err=True,
            )
            raise typer.Exit(1)

        reset_database(settings.resolved_database_url())
        if not as_json:
            typer.echo(f"Database emptied and recreated: {_display_url(settings)}")
    with _session(settings) as db:
        loaded = demo_data.database_is_empty(db)
        if loaded:
            from app.documents.storage import file_store

            demo_data.load(db, settings.demo_password, file_store(settings))
            db.commit()
        description = demo_data.describe(
            db, settings.demo_password, f"http://{settings.host}:{settings.port}"
        )
    if as_json:
        typer.echo(json.dumps(description, indent=2))
        return
    if loaded:
        typer.echo("Demo loaded.")
    else:
        typer.echo(
            "The database already holds data; demo not loaded. To start over with a fresh "
            "demo (this deletes everything in the database), run `make demo-reset` or "
            "`.venv/bin/tripartite demo --reset` from the project folder."
        )
    typer.echo(f"Every demo account's password: {settings.demo_password}")
    for account in description["accounts"]:
        where = f"{account['organisation']} ({account['group']})" if account["organisation"] else ""
        typer.echo(f"  {account['email']:<32} {account['role']:<15} {where}")
    secrets = {a["totp_secret"] for a in description["accounts"] if a["totp_secret"]}
    if secrets:
        typer.echo(
            "The moderator and the administrator also sign in with a two-factor code: add the "
            f"key {secrets.pop()} to an authenticator app, or run `.venv/bin/tripartite demo-code` "
            "(from the project folder) for the current code."
        )


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


two_factor_cli = typer.Typer(help="Two-factor sign-in of accounts.", no_args_is_help=True)
cli.add_typer(two_factor_cli, name="two-factor")


@two_factor_cli.command("reset")
def two_factor_reset(email: Annotated[str, typer.Argument(help="The account's email.")]) -> None:
    """Turn off someone's two-factor sign-in (lost phone and recovery codes): their sessions
    end, and a moderator or administrator must enrol again at the next sign-in. Audited."""
    from sqlalchemy import delete, select

    from app.accounts.models import RecoveryCode, User
    from app.accounts.service import normalise_email, revoke_all_sessions
    from app.audit.service import record

    with _session(Settings()) as db:
        user = db.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None:
            typer.echo(f"error: no account with the email {email}.", err=True)
            raise typer.Exit(2)
        user.totp_secret = None
        user.totp_enabled_at = None
        user.totp_last_step = None
        db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        revoke_all_sessions(db, user.id)
        record(db, None, "account.two_factor_reset", "user", user.id, by="command line")
        db.commit()
        typer.echo(f"Two-factor sign-in reset for {user.email}; their sessions have ended.")


search_cli = typer.Typer(help="The search index.", no_args_is_help=True)
cli.add_typer(search_cli, name="search")


@search_cli.command("reindex")
def search_reindex(
    kind: Annotated[
        list[str] | None,
        typer.Option(help="Only this kind (comment, position …); repeat for several."),
    ] = None,
    words: Annotated[
        bool,
        typer.Option(
            "--words",
            help="Only the “did you mean” vocabulary: the words anyone signed in may find.",
        ),
    ] = False,
) -> None:
    """Build the search index again from the rows themselves (every kind by default). Entries
    keep their ids; entries of rows gone are removed. One transaction. With --words, build the
    "did you mean" vocabulary again from the index instead (daily)."""
    import sys

    from sqlalchemy import func, select, text

    from app.search import index
    from app.search.sources import SPECS
    from app.vocabulary import SearchKind

    known = {k.value: k for k in SearchKind}
    unknown = [name for name in kind or () if name not in known]
    if unknown:
        typer.echo(f"error: unknown kind {', '.join(unknown)}; kinds: {', '.join(known)}", err=True)
        raise typer.Exit(2)
    kinds = [known[name] for name in kind] if kind else list(SearchKind)
    if words:
        from datetime import UTC, datetime

        from app.search import suggest

        with _session(Settings()) as db:
            kept = suggest.rebuild_words(db.connection(), datetime.now(UTC))
            db.commit()
        typer.echo(f"{kept:,} words kept.")
        return
    with _session(Settings()) as db:
        connection = db.connection()
        total = sum(
            connection.execute(
                select(func.count()).select_from(SPECS[k].build().subquery())
            ).scalar_one()
            for k in kinds
        )
        with typer.progressbar(
            length=total, label=f"Indexing {total:,} rows", file=sys.stderr
        ) as bar:
            written = index.rebuild(connection, kinds, lambda _kind, n: bar.update(n))
        db.commit()
        if connection.dialect.name == "postgresql":
            # the planner's word frequencies, of the index as now written
            db.execute(text("ANALYZE search_entries"))
            db.commit()
    typer.echo(f"{written:,} entries indexed.")


@cli.command("demo-code")
def demo_code() -> None:
    """Print the current two-factor code of the demo's moderator and administrator (they share
    the demo's published key; real accounts have keys of their own)."""
    from app.accounts.two_factor import DEMO_SECRET, current_code

    typer.echo(current_code(DEMO_SECRET))


@cli.command("send-mail")
def send_mail(
    loop: Annotated[int, typer.Option(help="Repeat every N seconds (0: run once).")] = 0,
) -> None:
    """Queue reminders and emails for notifications, then deliver the outbox over SMTP."""
    import time

    settings = Settings()
    while True:
        try:
            _send_mail_once(settings)
        except Exception as error:  # noqa: BLE001 - the loop outlives one bad run
            typer.echo(f"error: {type(error).__name__}: {error}", err=True)
            if loop <= 0:
                raise typer.Exit(1) from None
        if loop <= 0:
            return
        time.sleep(loop)


def _send_mail_once(settings: Settings) -> None:
    from app.db import utcnow
    from app.notifications import service
    from app.search import saved

    with _session(settings) as db:
        now = utcnow()
        reminders = service.queue_reminders(db, now)
        # a saved search's news become notifications, which the emails below carry
        matches = saved.queue_matches(db, now, settings.site_url())
        queued = service.queue_emails(db, settings, now)
        db.commit()
        # each email's outcome is committed as soon as it is known: one that fails never
        # holds up, nor sends twice, the emails before and after it
        sent, failed = service.deliver(db, settings, now, settle=db.commit)
        db.commit()
    typer.echo(
        f"{reminders} reminders, {matches} saved-search news, {queued} emails queued, "
        f"{sent} sent, {failed} failed (retried later)"
    )


token_cli = typer.Typer(
    help="API tokens for agencies (the read-only JSON API).", no_args_is_help=True
)
cli.add_typer(token_cli, name="api-token")


@token_cli.command("create")
def api_token_create(
    name: Annotated[str, typer.Argument(help="Who will use the token.")],
) -> None:
    """Create an API token; it is printed once, as the last word of the output."""
    from app.api import tokens
    from app.errors import DomainError

    with _session(Settings()) as db:
        try:
            token, plain = tokens.create(db, name, None)
        except DomainError as error:
            typer.echo(f"error: {error.message}", err=True)
            raise typer.Exit(2) from None
        db.commit()
        typer.echo(f"API token {token.id} “{token.name}” created (shown only now): {plain}")


@token_cli.command("list")
def api_token_list() -> None:
    """List API tokens (never their values)."""
    from app.api import tokens

    with _session(Settings()) as db:
        rows = tokens.listing(db)
    for row in rows:
        used = row.last_used_at.isoformat(timespec="seconds") if row.last_used_at else "never"
        state = "active" if row.active else "revoked"
        typer.echo(f"{row.id:>5}  {state:<8} last used {used:<26} {row.name}")


@token_cli.command("revoke")
def api_token_revoke(token_id: Annotated[int, typer.Argument(help="The token's number.")]) -> None:
    """Revoke an API token: it stops working at once."""
    from app.api import tokens
    from app.errors import DomainError

    if not 1 <= token_id <= MAX_ID:
        typer.echo("error: There is no such API token.", err=True)
        raise typer.Exit(2)
    with _session(Settings()) as db:
        try:
            token = tokens.revoke(db, token_id, None)
        except DomainError as error:
            typer.echo(f"error: {error.message}", err=True)
            raise typer.Exit(2) from None
        db.commit()
        typer.echo(f"API token {token.id} “{token.name}” revoked.")


@cli.command("export")
def export(
    round_id: Annotated[int, typer.Argument(help="The round's number (id).")],
    format: Annotated[str, typer.Option("--format", help="csv, json, xlsx or pdf.")] = "csv",
    output: Annotated[
        str, typer.Option("--output", "-o", help="The file to write ('-' for standard output).")
    ] = "-",
    include_hidden: Annotated[
        bool,
        typer.Option(
            "--include-hidden",
            help="Include the text of hidden comments, marked (the moderators' export).",
        ),
    ] = False,
) -> None:
    """Export a round's summary and items, as the summary page's downloads do."""
    import sys
    from pathlib import Path

    from app.db import make_engine
    from app.errors import DomainError
    from app.exports import formats, stream
    from app.summaries.access import Audience
    from app.summaries.service import load_header

    if format not in formats.FORMATS:
        typer.echo(f"error: unknown format “{format}”: choose csv, json, xlsx or pdf.", err=True)
        raise typer.Exit(2)
    if not 1 <= round_id <= MAX_ID:
        typer.echo("error: There is no such round.", err=True)
        raise typer.Exit(2)
    if output != "-" and not Path(output).resolve().parent.is_dir():
        typer.echo(f"error: the folder of {output} does not exist.", err=True)
        raise typer.Exit(2)
    if format in ("xlsx", "pdf") and output == "-":
        typer.echo(f"error: give --output FILE for {format}.", err=True)
        raise typer.Exit(2)
    settings = Settings()
    engine = make_engine(settings.resolved_database_url(), pool_size=1)
    audience = Audience.MODERATOR if include_hidden else Audience.PUBLIC
    try:
        with _session(settings) as db:
            try:
                header = load_header(db, round_id)
            except DomainError as error:
                typer.echo(f"error: {error.message}", err=True)
                raise typer.Exit(2) from None
        if header.status.value == "draft":
            typer.echo("error: this round is a draft: there is nothing to export.", err=True)
            raise typer.Exit(2)
        if header.sealed and header.status.value in ("scheduled", "open"):
            typer.echo("error: this round's positions are sealed until it closes.", err=True)
            raise typer.Exit(2)
        with stream.snapshot(engine) as conn:
            total = formats.item_count(conn, round_id)

        def source() -> AbstractContextManager[Connection]:
            return stream.snapshot(engine)

        show = output != "-"
        with typer.progressbar(
            length=total, label=f"Exporting {total:,} items", file=sys.stderr, hidden=not show
        ) as bar:
            if format in ("csv", "json"):
                target = open(output, "wb") if show else sys.stdout.buffer  # noqa: SIM115
                try:
                    for chunk in stream.chunks(
                        lambda: stream.snapshot(engine), format, round_id, audience, bar.update
                    ):
                        target.write(chunk)
                finally:
                    if show:
                        target.close()
            elif format == "xlsx":
                import shutil

                path = stream.xlsx_file(
                    lambda: stream.snapshot(engine), round_id, audience, bar.update
                )
                shutil.move(path, output)
            else:
                with open(output, "wb") as handle:
                    handle.write(stream.pdf_bytes(source, round_id))
                bar.update(total)
    finally:
        engine.dispose()
    if output != "-":
        typer.echo(f"Round {round_id} exported as {format} to {output}.", err=True)


@cli.command("annual-report")
def annual_report(
    country: Annotated[str, typer.Argument(help="The country, as its consultations name it.")],
    year: Annotated[int, typer.Argument(help="The year (rounds opened in it, UTC).")],
    format: Annotated[str, typer.Option("--format", help="pdf or xlsx.")] = "pdf",
    output: Annotated[str, typer.Option("--output", "-o", help="The file to write.")] = "",
    language: Annotated[str, typer.Option("--language", help="en, fr or es.")] = "en",
) -> None:
    """Write the annual report on the working of the procedures (C144 art. 6), as its page's
    downloads do."""
    from app.cycle.report import write_file
    from app.errors import DomainError

    if format not in ("pdf", "xlsx"):
        typer.echo(f"error: unknown format “{format}”: choose pdf or xlsx.", err=True)
        raise typer.Exit(2)
    with _session(Settings()) as db:
        try:
            written = write_file(db, country, year, format, output, language)
        except DomainError as error:
            typer.echo(f"error: {error.message}", err=True)
            raise typer.Exit(2) from None
    typer.echo(f"The annual report of {country} for {year} written as {format} to {written}.")
