"""Notifications in the app and by email, delivered to a real SMTP server the test starts."""

import socket
from datetime import timedelta

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
