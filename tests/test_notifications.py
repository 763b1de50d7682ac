"""Notifications in the app and by email, delivered to a real SMTP server the test starts."""

import socket
from datetime import timedelta
from email import message_from_string, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.db import utcnow
from app.notifications import service
from app.notifications.models import Notification, OutboxEmail
from app.rounds.models import Round
from app.vocabulary import Group, PlatformRole
from tests import factories
from tests.conftest import text_of
from tests.factories import signed_in


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's API)
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


def mail_settings(settings, port):
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})


def test_opening_a_round_notifies_its_organisations_in_the_app(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    round_.status = "draft"
    outsider = factories.member(db, factories.organisation(db, Group.WORKERS))
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    assert moderator.submit(f"/rounds/{round_.id}/open").status_code == 303
    union = signed_in(make_client, db, reps[Group.WORKERS])
    assert union.get("/notifications/count").text == "Notifications (1)"
    page = text_of(union.get("/notifications").text)
    assert f"“{round_.title}” is open for your organisation's position" in page
    union.submit("/notifications/read")
    assert union.get("/notifications/count").text == "Notifications"
    other = signed_in(make_client, db, outsider)
    assert other.get("/notifications/count").text == "Notifications"


def test_emails_are_delivered_over_smtp(db, settings, smtp):
    port, inbox = smtp
    person = factories.user(db, email="grace@union.example")
    service.notify(db, [person.id], None, "round.opened", "“Pensions” is open.")
    now = utcnow()
    assert service.queue_emails(db, settings, now) == 1
    assert service.deliver(db, mail_settings(settings, port), now) == (1, 0)
    assert len(inbox.messages) == 1
    recipients, content = inbox.messages[0]
    assert recipients == ["grace@union.example"] and "Pensions" in content
    assert service.queue_emails(db, settings, now) == 0  # never twice


def test_a_failed_delivery_is_retried_later_and_blocks_nothing(db, settings, smtp):
    port, inbox = smtp
    person = factories.user(db)
    service.notify(db, [person.id], None, "round.closed", "Closed.")
    now = utcnow()
    service.queue_emails(db, settings, now)
    down = mail_settings(settings, free_port())  # nothing listens there
    assert service.deliver(db, down, now) == (0, 1)
    email = db.scalar(select(OutboxEmail))
    assert email.attempts == 1 and email.sent_at is None and email.last_error
    assert email.next_attempt_at > now
    assert service.deliver(db, mail_settings(settings, port), now) == (0, 0)  # not yet due
    assert service.deliver(db, mail_settings(settings, port), email.next_attempt_at) == (1, 0)
    assert len(inbox.messages) == 1


def test_a_daily_digest_gathers_notifications(db, settings, smtp):
    port, inbox = smtp
    person = factories.user(db)
    person.email_preference = "digest"
    for n in range(3):
        service.notify(db, [person.id], None, f"kind.{n}", f"Update {n}")
    now = utcnow()
    assert service.queue_emails(db, settings, now) == 1
    service.notify(db, [person.id], None, "kind.late", "A later update")
    assert service.queue_emails(db, settings, now + timedelta(hours=2)) == 0  # once a day
    service.deliver(db, mail_settings(settings, port), now)
    content = inbox.messages[0][1]
    assert all(f"Update {n}" in content for n in range(3))
    assert service.queue_emails(db, settings, now + timedelta(hours=25)) == 1


def test_reminders_go_only_to_organisations_that_have_not_answered(db):
    round_, orgs, reps = factories.three_groups_round(db, closes_at=utcnow() + timedelta(hours=30))
    factories.position(db, round_, orgs[Group.WORKERS], reps[Group.WORKERS])
    assert service.queue_reminders(db, utcnow()) == 2
    reminded = set(
        db.scalars(select(Notification.user_id).where(Notification.kind == "round.reminder"))
    )
    assert reminded == {reps[Group.GOVERNMENT].id, reps[Group.EMPLOYERS].id}
    assert service.queue_reminders(db, utcnow()) == 0  # never twice
    far = db.get(Round, round_.id)
    assert far is not None


# -- one undeliverable email fails alone -------------------------------------------------------

#: A recipient no header can hold: building the email fails, for this email only.
POISONED_TO = "eve@test.example\nBcc: everyone@test.example"


def _outbox(db, to_email, subject="Tripartite: an update", now=None):
    email = OutboxEmail(
        to_email=to_email, subject=subject, body="Body.\n", next_attempt_at=now or utcnow()
    )
    db.add(email)
    db.flush()
    return email


def parsed(content):
    return message_from_string(content, policy=policy.default)


def _recipients(inbox):
    return sorted(r for rcpt, _content in inbox.messages for r in rcpt)


def test_an_email_that_cannot_be_built_fails_alone_and_nothing_is_sent_twice(db, settings, smtp):
    port, inbox = smtp
    now = utcnow()
    before = [_outbox(db, f"first{n}@test.example", now=now) for n in range(3)]
    poisoned = _outbox(db, POISONED_TO, now=now)
    # a row written before titles were checked: its subject is made one line when sent
    broken_subject = _outbox(db, "second@test.example", "Tripartite: “Pay\r\nBcc: x”", now)
    after = [_outbox(db, f"third{n}@test.example", now=now) for n in range(2)]
    db.commit()
    mail = mail_settings(settings, port)
    assert service.deliver(db, mail, now, settle=db.commit) == (6, 1)
    good = [e.to_email for e in (*before, broken_subject, *after)]
    assert _recipients(inbox) == sorted(good)  # every other email, exactly once
    sent = next(c for r, c in inbox.messages if r == ["second@test.example"])
    assert parsed(sent)["Subject"] == "Tripartite: “Pay Bcc: x”"
    db.refresh(poisoned)
    assert poisoned.sent_at is None and poisoned.attempts == 1
    assert "ValueError" in (poisoned.last_error or "")
    assert poisoned.next_attempt_at > now  # retried later, with its back-off
    # a second run sends nothing again; when the poisoned one is due, it alone is tried again
    assert service.deliver(db, mail, now, settle=db.commit) == (0, 0)
    retry_at = poisoned.next_attempt_at
    assert service.deliver(db, mail, retry_at, settle=db.commit) == (0, 1)
    db.refresh(poisoned)
    assert poisoned.attempts == 2 and poisoned.next_attempt_at - retry_at > retry_at - now
    assert _recipients(inbox) == sorted(good)


def test_a_title_with_a_line_break_already_stored_does_not_stop_the_mail(db, settings, smtp):
    """A round whose title holds a line break (stored before titles were checked): its
    notification's email goes out, with a one-line subject, and only once."""
    port, inbox = smtp
    round_, orgs, reps = factories.three_groups_round(db)
    round_.title = "Pensions\nBcc: everyone@test.example"
    service.notify_round(db, round_.id, "round.opened", f"“{round_.title}” is open.")
    now = utcnow()
    assert service.queue_emails(db, settings, now) == 3
    db.commit()
    mail = mail_settings(settings, port)
    assert service.deliver(db, mail, now, settle=db.commit) == (3, 0)
    assert service.deliver(db, mail, now, settle=db.commit) == (0, 0)
    assert _recipients(inbox) == sorted(r.email for r in reps.values())
    for _rcpt, content in inbox.messages:
        sent = parsed(content)
        assert sent["Bcc"] is None
        assert sent["Subject"] == "Tripartite: “Pensions Bcc: everyone@test.example” is open."


# -- the command: `tripartite send-mail` ---------------------------------------------------------


def _command_env(url, tmp_path, port):
    return {
        "TRIPARTITE_DATABASE_URL": url,
        "TRIPARTITE_DATA_DIR": str(tmp_path),
        "TRIPARTITE_SMTP_HOST": "127.0.0.1",
        "TRIPARTITE_SMTP_PORT": str(port),
    }


def _batch_with_a_poisoned_email_in_the_middle(url):
    """Ten outbox emails, the fifth of which no header can hold, and a round whose title holds
    a line break with a notification for three people (as stored before titles were checked)."""
    from sqlalchemy.orm import Session

    import app.models  # noqa: F401
    from app.db import make_engine

    engine = make_engine(url, pool_size=1)
    with Session(engine) as db:
        emails = [f"person{n}@batch.example" for n in range(10)]
        emails[4] = POISONED_TO
        for address in emails:
            _outbox(db, address)
        round_, _orgs, reps = factories.three_groups_round(db)
        round_.title = "Pensions\r\nBcc: everyone@test.example"
        service.notify_round(db, round_.id, "round.opened", f"“{round_.title}” is open.")
        db.commit()
        expected = sorted(
            [e for e in emails if e != POISONED_TO] + [r.email for r in reps.values()]
        )
    engine.dispose()
    return expected


def _outbox_rows(url):
    from sqlalchemy.orm import Session

    from app.db import make_engine

    engine = make_engine(url, pool_size=1)
    with Session(engine) as db:
        rows = {
            e.to_email: (e.sent_at, e.attempts, e.next_attempt_at)
            for e in db.scalars(select(OutboxEmail))
        }
    engine.dispose()
    return rows


def test_the_command_delivers_a_batch_around_a_poisoned_email_once(fresh_url, tmp_path, smtp):
    from typer.testing import CliRunner

    from app.cli import cli

    port, inbox = smtp
    runner = CliRunner()
    env = _command_env(fresh_url, tmp_path, port)
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    expected = _batch_with_a_poisoned_email_in_the_middle(fresh_url)
    first = runner.invoke(cli, ["send-mail"], env=env)
    assert first.exit_code == 0, first.output
    assert "12 sent, 1 failed" in first.output
    assert _recipients(inbox) == expected  # all the others, exactly once
    again = runner.invoke(cli, ["send-mail"], env=env)
    assert again.exit_code == 0, again.output
    assert "0 sent, 0 failed" in again.output
    assert _recipients(inbox) == expected  # no duplicates
    sent_at, attempts, next_attempt_at = _outbox_rows(fresh_url)[POISONED_TO]
    assert sent_at is None and attempts == 1 and next_attempt_at > utcnow()


def test_the_loop_outlives_a_failed_run(fresh_url, tmp_path, smtp, monkeypatch):
    """`send-mail --loop N` goes on after a run that failed (here: the first run's reminders
    raise), and after a poisoned email."""
    import time

    from typer.testing import CliRunner

    from app.cli import cli

    port, inbox = smtp
    runner = CliRunner()
    env = _command_env(fresh_url, tmp_path, port)
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    expected = _batch_with_a_poisoned_email_in_the_middle(fresh_url)
    real = service.queue_reminders
    calls = {"runs": 0, "sleeps": 0}

    def flaky(db, now):
        calls["runs"] += 1
        if calls["runs"] == 1:
            raise RuntimeError("the database went away")
        return real(db, now)

    class Stop(Exception):
        pass

    def sleep(seconds):
        calls["sleeps"] += 1
        if calls["sleeps"] == 3:
            raise Stop

    monkeypatch.setattr(service, "queue_reminders", flaky)
    monkeypatch.setattr(time, "sleep", sleep)
    result = runner.invoke(cli, ["send-mail", "--loop", "60"], env=env)
    assert isinstance(result.exception, Stop), result.output
    assert calls["runs"] == 3
    assert "RuntimeError: the database went away" in result.output
    assert "12 sent, 1 failed" in result.output and "0 sent, 0 failed" in result.output
    assert _recipients(inbox) == expected


class HangsUpOnOne(Inbox):
    """A server that answers one recipient "421" (closing the connection, as a server going
    away does): the emails after it are still delivered, over a new connection."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address == "hang-up@test.example":
            return "421 closing the connection"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_server_hanging_up_on_one_email_holds_up_no_other(db, settings):
    inbox = HangsUpOnOne()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        now = utcnow()
        emails = [f"n{n}@test.example" for n in range(5)]
        emails[2] = "hang-up@test.example"
        rows = [_outbox(db, address, now=now) for address in emails]
        db.commit()
        mail = mail_settings(settings, controller.port)
        assert service.deliver(db, mail, now, settle=db.commit) == (4, 1)
        assert _recipients(inbox) == sorted(e for e in emails if e != "hang-up@test.example")
        db.refresh(rows[2])
        assert rows[2].sent_at is None and "SMTPRecipientsRefused" in rows[2].last_error
    finally:
        controller.stop()
