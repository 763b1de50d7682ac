"""Telling people what concerns them: in-app notifications, turned into emails by a worker.

Requests only add notifications (in their own transaction, with the action); queuing and
delivering emails happen in ``tripartite send-mail``, so a slow or failing mail server never
blocks anyone's action, and a failed delivery is retried later."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app import i18n
from app.accounts.models import User
from app.accounts.rules import mandate_is_active
from app.config import Settings
from app.db import utcnow
from app.i18n import gettext as _
from app.i18n import ngettext
from app.notifications.models import Notification, OutboxEmail
from app.organisations.models import Mandate
from app.positions.models import Position
from app.rounds.models import Round
from app.rounds.queries import invited_mandates
from app.text_rules import one_line
from app.vocabulary import RoundStatus

MAX_ATTEMPTS = 8
REMINDER_BEFORE = timedelta(hours=48)


#: A notification's text, written for one reader: called in that reader's language and zone.
Message = str | Callable[[], str]


def notify(
    db: Session, user_ids: Iterable[int], round_id: int | None, kind: str, message: Message
) -> int:
    """One notification per person for this round and kind (never twice), each written in the
    reader's own language and time zone."""
    wanted = set(user_ids)
    if not wanted:
        return 0
    already = set(
        db.scalars(
            select(Notification.user_id).where(
                Notification.user_id.in_(wanted),
                Notification.round_id == round_id,
                Notification.kind == kind,
            )
        )
    )
    fresh = sorted(wanted - already)
    readers = {
        row.id: (row.language, row.time_zone)
        for row in db.execute(
            select(User.id, User.language, User.time_zone).where(User.id.in_(fresh))
        )
    }
    for user_id in fresh:
        language, zone = readers.get(user_id, (None, None))
        with i18n.speaking(language, zone):
            text = message() if callable(message) else message
        db.add(Notification(user_id=user_id, round_id=round_id, kind=kind, message=text))
    return len(fresh)


def round_members(db: Session, round_id: int, *, without_position: bool = False) -> list[int]:
    """People holding an active mandate from an organisation invited to the round (optionally
    only those whose organisation has not posted its position)."""
    now = utcnow()
    query = invited_mandates(round_id)
    if without_position:
        answered = select(Position.organisation_id).where(Position.round_id == round_id)
        query = query.where(Mandate.organisation_id.not_in(answered))
    return sorted(
        {
            r.user_id
            for r in db.execute(query)
            if mandate_is_active(r.starts_at, r.expires_at, r.revoked_at, now)
        }
    )


def notify_round(db: Session, round_id: int, kind: str, message: Message) -> int:
    return notify(db, round_members(db, round_id), round_id, kind, message)


def unread_count(db: Session, user_id: int) -> int:
    return int(
        db.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def recent(db: Session, user_id: int, limit: int = 100) -> list[Notification]:
    return list(
        db.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_all_read(db: Session, user_id: int) -> None:
    db.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )


def set_preference(db: Session, user_id: int, preference: str) -> None:
    if preference not in ("immediate", "digest"):
        from app.errors import DomainError

        raise DomainError(_("Choose immediate emails or a daily digest."), field="preference")
    user = db.get_one(User, user_id)
    user.email_preference = preference


# -- the worker -------------------------------------------------------------------------------


def queue_reminders(db: Session, now: datetime) -> int:
    """Tell members when a scheduled round has opened on time, and 48 hours before a deadline
    remind the organisations that have not answered."""
    count = 0
    for r in db.execute(
        select(Round.id, Round.title, Round.closes_at).where(
            Round.status == RoundStatus.SCHEDULED, Round.opens_at <= now
        )
    ).all():
        count += notify(
            db, round_members(db, r.id), r.id, "round.opened", _opened(r.title, r.closes_at)
        )
    rounds = db.execute(
        select(Round.id, Round.title, Round.closes_at).where(
            Round.status == RoundStatus.OPEN,
            Round.closes_at > now,
            Round.closes_at <= now + REMINDER_BEFORE,
        )
    ).all()
    for r in rounds:
        members = round_members(db, r.id, without_position=True)
        count += notify(db, members, r.id, "round.reminder", _reminder(r.title, r.closes_at))
    return count


def _opened(title: str, closes_at: datetime | None) -> Callable[[], str]:
    def written() -> str:
        if closes_at is None:
            return _("“%(title)s” is open for your organisation's position.") % {"title": title}
        return _("“%(title)s” is open for your organisation's position until %(deadline)s.") % {
            "title": title,
            "deadline": i18n.format_datetime(closes_at),
        }

    return written


def _reminder(title: str, closes_at: datetime) -> Callable[[], str]:
    def written() -> str:
        return _(
            "“%(title)s” closes on %(deadline)s and your organisation has not posted its "
            "position yet."
        ) % {"title": title, "deadline": i18n.format_datetime(closes_at)}

    return written


def queue_emails(db: Session, settings: Settings, now: datetime) -> int:
    """Turn notifications not yet emailed into outbox emails: one each for people who want them
    at once, one a day for those who chose the digest."""
    rows = db.execute(
        select(
            Notification,
            User.email,
            User.email_preference,
            User.digest_sent_at,
            User.language,
        )
        .join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), User.is_active.is_(True))
        .order_by(Notification.user_id, Notification.id)
    ).all()
    by_user: dict[int, list[Notification]] = {}
    meta: dict[int, tuple[str, str, datetime | None, str | None]] = {}
    for notification, email, preference, digest_sent_at, language in rows:
        by_user.setdefault(notification.user_id, []).append(notification)
        meta[notification.user_id] = (email, preference, digest_sent_at, language)
    queued = 0
    for user_id, items in by_user.items():
        email, preference, digest_sent_at, language = meta[user_id]
        link = f"{settings.site_url()}/notifications"
        if preference == "digest":
            if digest_sent_at is not None and now - digest_sent_at < timedelta(hours=24):
                continue
            body = "\n\n".join(f"- {n.message}" for n in items)
            with i18n.speaking(language):
                subject = ngettext(
                    "Tripartite: %(num)d update", "Tripartite: %(num)d updates", len(items)
                ) % {"num": len(items)}
                see_all = _("See them all: %(link)s") % {"link": link}
            db.add(
                OutboxEmail(
                    to_email=email,
                    subject=subject,
                    body=f"{body}\n\n{see_all}\n",
                    next_attempt_at=now,
                )
            )
            db.get_one(User, user_id).digest_sent_at = now
            queued += 1
        else:
            for n in items:
                db.add(
                    OutboxEmail(
                        to_email=email,
                        subject=f"Tripartite: {one_line(n.message)[:120]}",
                        body=f"{n.message}\n\n{link}\n",
                        next_attempt_at=now,
                    )
                )
                queued += 1
        for n in items:
            n.emailed_at = now
    return queued


def deliver(
    db: Session,
    settings: Settings,
    now: datetime,
    limit: int = 200,
    *,
    settle: Callable[[], None] | None = None,
) -> tuple[int, int]:
    """Send the emails that are due, each on its own: one that cannot be built or sent is
    recorded as failed and retried with a growing delay, and never holds up the others.

    ``settle`` is called after each email (``tripartite send-mail`` commits there): an email
    sent is recorded as sent at once, so a later failure, or a crash, never sends it twice.
    Returns (sent, failed)."""
    settle = settle or (lambda: None)
    due = list(
        db.scalars(
            select(OutboxEmail.id)
            .where(
                OutboxEmail.sent_at.is_(None),
                OutboxEmail.next_attempt_at <= now,
                OutboxEmail.attempts < MAX_ATTEMPTS,
            )
            .order_by(OutboxEmail.id)
            .limit(limit)
        )
    )
    if not due:
        return 0, 0
    try:
        server = _connect(settings)
    except (OSError, smtplib.SMTPException) as error:
        return 0, _fail_all(db, due, now, error, settle)
    sent = failed = 0
    try:
        for index, email_id in enumerate(due):
            email = _claim(db, email_id, now)
            if email is None:  # another sender has it, or has sent it
                settle()
                continue
            try:
                server.send_message(_message(settings, email))
            except Exception as error:  # noqa: BLE001 - whatever it is, it concerns this email
                _failed(email, now, error)
                failed += 1
                settle()
                if server.sock is None:  # the server hung up (421): the next ones reconnect
                    try:
                        server = _connect(settings)
                    except (OSError, smtplib.SMTPException) as again:
                        rest = due[index + 1 :]
                        return sent, failed + _fail_all(db, rest, now, again, settle)
                continue
            email.sent_at = now
            email.attempts += 1
            sent += 1
            settle()
    finally:
        _hang_up(server)
    return sent, failed


def _fail_all(
    db: Session, ids: list[int], now: datetime, error: BaseException, settle: Callable[[], None]
) -> int:
    """No connection to the mail server: each email is retried later."""
    failed = 0
    for email_id in ids:
        email = _claim(db, email_id, now)
        if email is not None:
            _failed(email, now, error)
            failed += 1
    settle()
    return failed


def _hang_up(server: smtplib.SMTP) -> None:
    try:
        server.quit()
    except (OSError, smtplib.SMTPException):
        server.close()


def _claim(db: Session, email_id: int, now: datetime) -> OutboxEmail | None:
    """The email, locked for this sender's transaction, if it is still to be sent (several
    senders at once each take their own rows on PostgreSQL; SQLite's writers are serialised)."""
    return db.scalar(
        select(OutboxEmail)
        .where(
            OutboxEmail.id == email_id,
            OutboxEmail.sent_at.is_(None),
            OutboxEmail.next_attempt_at <= now,
        )
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


def _message(settings: Settings, email: OutboxEmail) -> EmailMessage:
    """The email as sent. The subject is made one line whatever the outbox holds (a title typed
    with a line break before titles were checked); a recipient that is not a plain address
    is refused here, for this email alone."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = email.to_email
    message["Subject"] = one_line(email.subject) or "Tripartite"
    message.set_content(email.body)
    return message


def _connect(settings: Settings) -> smtplib.SMTP:
    server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10)
    if settings.smtp_starttls:
        server.starttls()
    if settings.smtp_username:
        server.login(settings.smtp_username, settings.smtp_password)
    return server


def _failed(email: OutboxEmail, now: datetime, error: BaseException) -> None:
    email.attempts += 1
    email.last_error = f"{type(error).__name__}: {error}"[:1000]
    email.next_attempt_at = now + timedelta(minutes=2 ** min(email.attempts, 10))
