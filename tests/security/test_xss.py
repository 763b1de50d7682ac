"""Cross-site scripting: the payload corpus (tests/security/xss.py) posted wherever people write
(comments, replies, edits, position statements, names, titles, briefs, outcomes, reasons) and
every page and fragment that shows it checked for executable markup, and for the payload's
marker, which proves the payload reached the page checked."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from app.api import tokens
from app.audit.service import record
from app.comments.models import Flag
from app.db import utcnow
from app.rounds.models import GroupSignoff, Round, RoundInvitation
from app.vocabulary import Group, MandateRole, PlatformRole, RoundStatus, Stance
from tests import factories
from tests.helpers import HTMX, days_ahead
from tests.security.xss import PAYLOADS, executable_markup, marked, marker, plain_marked, scan
from tests.word_files import docx_with


class Pages:
    """The pages looked at, and what in them could run."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.text: list[str] = []
        self.count = 0

    def check(self, where: str, response: Any, status: int | tuple[int, ...] = 200) -> Any:
        expected = status if isinstance(status, tuple) else (status,)
        assert response.status_code in expected, (where, response.status_code, response.text)
        self.count += 1
        problems, text = scan(response.text)
        self.problems += [f"{where}: {p}" for p in problems]
        self.text.append(text)
        return response

    def assert_clean(self, markers: list[str]) -> None:
        assert not self.problems, "\n".join(self.problems[:40])
        seen = " ".join(self.text)
        missing = [m for m in markers if m not in seen]
        assert not missing, f"payloads that never reached a checked page: {missing}"


def every_marker() -> list[str]:
    return [marker(i) for i in range(len(PAYLOADS))]


def test_the_corpus_is_large_and_the_check_finds_what_it_should():
    assert len(PAYLOADS) >= 50
    assert len(set(PAYLOADS)) == len(PAYLOADS)
    # the check itself, on markup that must be caught
    for unsafe in (
        "<script>x()</script>",
        '<img src=x onerror="x()">',
        '<a href=" JaVa\tScRiPt:x()">x</a>',
        '<iframe src="/"></iframe>',
        '<div hx-on:click="x()"></div>',
        "<svg><animate onbegin=x()></svg>",
        "<p>50337</p>",
        '<div style="x"></div>',
        '<form action="javascript:x()"></form>',
        '<script src="//evil.example/static/x.js"></script>',
        '<link rel="stylesheet" href="https://evil.example/static/x.css">',
    ):
        assert executable_markup(unsafe), unsafe
    assert not executable_markup('<script src="/static/vendor/htmx.js"></script><a href="/x">x</a>')


def _round_with_people(db: Any, per_group: int = 3) -> tuple[Round, dict[Group, Any], list[Any]]:
    round_, orgs, reps = factories.three_groups_round(db)
    authors = list(reps.values())
    for _ in range(per_group - 1):
        authors += [factories.member(db, orgs[g]) for g in Group]
    return round_, orgs, authors


def _posted_id(response: Any) -> int:
    if response.status_code == 303:
        match = re.search(r"#comment-(\d+)$", response.headers["location"])
    else:
        match = re.search(r'id="comment-(\d+)"', response.text)
    assert match, (response.status_code, response.text[:500])
    return int(match.group(1))


def test_comments_replies_and_edits(make_client, db):
    round_, orgs, authors = _round_with_people(db)
    browsers = [factories.signed_in(make_client, db, a) for a in authors]
    moderator = factories.signed_in(
        make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR)
    )
    base = f"/rounds/{round_.id}"
    locked = factories.comment(db, round_, authors[0], orgs[Group.GOVERNMENT], "Locked thread.")
    locked.locked = True
    db.commit()
    pages = Pages()
    for i, payload in enumerate(PAYLOADS):
        n = i % len(browsers)
        browser, body = browsers[n], marked(i, payload)
        htmx = HTMX if i % 2 else {}
        response = browser.submit(f"{base}/comments", {"body": body}, headers=htmx)
        if htmx:
            pages.check(f"htmx post {i}", response)
        comment_id = _posted_id(response)
        if i % 3:
            continue
        # a reply to it, by the next author
        replier = browsers[(n + 1) % len(browsers)]
        reply = replier.submit(
            f"{base}/comments/{comment_id}/replies", {"body": body}, headers=htmx
        )
        if htmx:
            pages.check(f"htmx reply {i}", reply)
        # refused (the thread is locked): the form comes back filled in with the payload
        refused = browser.submit(
            f"{base}/comments/{locked.id}/replies", {"body": body}, headers=htmx
        )
        pages.check(f"refused reply {i}", refused, 409)
        # its author edits it (the edit form shows the raw text in a textarea)
        edit_form = browser.get(f"{base}/comments/{comment_id}/edit", headers=htmx)
        pages.check(f"edit form {i}", edit_form)
        edited = browser.submit(
            f"{base}/comments/{comment_id}/edit", {"body": body + " (edited)"}, headers=HTMX
        )
        pages.check(f"htmx edit {i}", edited)
        if i % 9 == 0:
            pages.check(f"reply form {i}", replier.get(f"{base}/comments/{comment_id}/reply"))
            pages.check(f"flag form {i}", replier.get(f"{base}/comments/{comment_id}/flag"))
    for viewer_name, viewer in (("representative", browsers[0]), ("moderator", moderator)):
        for page in (1, 2, 3):
            pages.check(f"round page {page} ({viewer_name})", viewer.get(f"{base}?page={page}"))
            pages.check(
                f"more comments {page} ({viewer_name})",
                viewer.get(f"{base}/comments?page={page}", headers=HTMX),
            )
        pages.check(f"balanced order ({viewer_name})", viewer.get(f"{base}?order=balanced"))
    pages.check("live update", moderator.get(f"{base}/live?version=0&after=0", headers=HTMX))
    pages.assert_clean(every_marker())


def test_position_statements_and_their_history(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    union = factories.signed_in(make_client, db, reps[Group.WORKERS])
    reader = factories.signed_in(make_client, db, reps[Group.EMPLOYERS])
    base = f"/rounds/{round_.id}"
    pages = Pages()
    for i, payload in enumerate(PAYLOADS):
        data = {"stance": Stance.OPPOSE.value, "statement": marked(i, payload)}
        plain = i % 5 == 0  # without htmx (redirected; the round page then shows it)
        response = union.submit(
            f"{base}/positions", {**data, "base_version": str(i)}, headers={} if plain else HTMX
        )
        if plain:
            assert response.status_code == 303, response.text
            pages.check(f"round page after {i}", reader.get(base))
        else:
            pages.check(f"htmx position {i}", response)
        # a revision based on an outdated version: both texts are shown side by side
        if i % 4 == 1:
            stale = union.submit(
                f"{base}/positions", {**data, "base_version": "0"}, headers=HTMX if i % 8 else {}
            )
            pages.check(f"stale revision {i}", stale, 409)
    history = re.search(r"/positions/(\d+)/history", reader.get(base).text)
    assert history, "the round page links to the position's history"
    position_id = int(history.group(1))
    pages.check("history", reader.get(f"{base}/positions/{position_id}/history"))
    pages.check("comment on a position", reader.get(f"{base}/positions/{position_id}/comment"))
    pages.assert_clean(every_marker())


def test_names_of_people_and_organisations(make_client, db):
    """Names are plain text, shown on many pages: each payload is an organisation's name and
    its representative's, who posts a position and a comment (flagged) in a round that then
    closes, so the summary shows them too."""
    moderator_user = factories.user(db, platform_role=PlatformRole.MODERATOR)
    admin_user = factories.user(db, platform_role=PlatformRole.ADMIN)
    groups = list(Group)
    orgs, people = [], []
    for i, payload in enumerate(PAYLOADS):
        org = factories.organisation(db, groups[i % 3], name=plain_marked(i, payload)[:200])
        orgs.append(org)
        people.append(factories.member(db, org, name=plain_marked(i, payload)[:200]))
    round_ = factories.consultation_round(db, orgs)
    stances = list(Stance)
    for i, (org, person) in enumerate(zip(orgs, people, strict=True)):
        factories.position(db, round_, org, person, stances[i % 5], f"Statement {i}.")
        comment = factories.comment(db, round_, person, org, f"Comment {i}.")
        reporter = people[(i + 1) % len(people)]
        db.add(Flag(comment_id=comment.id, reporter_id=reporter.id, reason="Off topic."))
        record(db, person.id, "comment.flagged", "comment", comment.id, reason="x")
    db.commit()
    moderator = factories.signed_in(make_client, db, moderator_user)
    admin = factories.signed_in(make_client, db, admin_user)
    first = factories.signed_in(make_client, db, people[0])
    pages = Pages()
    base = f"/rounds/{round_.id}"
    pages.check("home, as a payload-named person", first.get("/"))
    for page in (1, 2, 3):
        pages.check(f"round page {page}", moderator.get(f"{base}?page={page}"))
    pages.check("organisation filter", moderator.get(f"{base}?organisation={orgs[1].id}"))
    pages.check("moderation dashboard", moderator.get("/moderation"))
    pages.check("audit log", moderator.get("/audit"))
    pages.check("audit log, page 2", moderator.get("/audit?page=2"))
    pages.check("organisations (admin)", admin.get("/admin/organisations"))
    pages.check("people (admin)", admin.get("/admin/people"))
    for org in orgs[:3]:
        pages.check(f"organisation {org.id}", admin.get(f"/organisations/{org.id}"))
    db.execute(
        update(Round)
        .where(Round.id == round_.id)
        .values(status=RoundStatus.CLOSED.value, outcome="Done.", closes_at=utcnow())
    )
    db.commit()
    pages.check("summary", moderator.get(f"{base}/summary"))
    pages.check("round page, closed", moderator.get(base))
    pages.assert_clean(every_marker())


def test_names_given_through_the_forms(make_client, db, cheap_passwords):
    """An administrator registers organisations (and names their focal points) with the
    payloads; each person accepts the invitation under a payload name."""
    admin = factories.signed_in(
        make_client, db, factories.user(db, platform_role=PlatformRole.ADMIN)
    )
    pages = Pages()
    urls = []
    chosen = list(range(0, len(PAYLOADS), 3))
    for i in chosen:
        name = plain_marked(i, PAYLOADS[i])
        response = admin.submit(
            "/admin/organisations",
            {
                "name": name,
                "group": list(Group)[i % 3].value,
                "country": name[:100],
                "focal_point_name": name,
                "focal_point_email": f"focal{i}@payload.example",
            },
        )
        assert response.status_code == 201, response.text
        if i % 15 == 0:
            pages.check(f"registered {i}", response, 201)
        urls.append(re.search(r"/invitations/[A-Za-z0-9_-]{20,}", response.text).group(0))
    pages.check("organisations", admin.get("/admin/organisations"))
    visitor = make_client()
    for i, url in zip(chosen[:8], urls, strict=False):
        pages.check(f"invitation {i}", visitor.get(url))
        token = url.rsplit("/", 1)[1]
        newcomer = make_client()
        accepted = newcomer.submit(
            "/invitations/accept",
            {"token": token, "name": plain_marked(i, PAYLOADS[i]), "password": "long passphrase 1"},
        )
        assert accepted.status_code == 303, accepted.text
        pages.check(f"home of newcomer {i}", newcomer.get("/"))
        pages.check(f"account of newcomer {i}", newcomer.get("/account"))
    pages.check("people", admin.get("/admin/people"))
    pages.check("audit", admin.get("/audit"))
    pages.assert_clean([marker(i) for i in chosen])


def test_consultation_and_round_titles_and_briefs(make_client, db):
    """Every payload as a consultation's title and brief (through the form) and as a round's
    (written directly, all in one consultation; a few through the form)."""
    _round, orgs, reps = factories.three_groups_round(db)
    moderator = factories.signed_in(
        make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR)
    )
    pages = Pages()
    for i, payload in enumerate(PAYLOADS):
        created = moderator.submit(
            "/consultations", {"title": plain_marked(i, payload), "brief": marked(i, payload)}
        )
        assert created.status_code == 303, created.text
        pages.check(f"consultation {i}", moderator.get(created.headers["location"]))
    holder = factories.consultation_round(db, orgs.values())
    rounds = {}
    for i, payload in enumerate(PAYLOADS):
        round_ = Round(
            consultation_id=holder.consultation_id,
            number=i + 2,
            title=plain_marked(i, payload)[:200],
            brief=marked(i, payload),
            status=RoundStatus.OPEN.value,
            opens_at=utcnow() - timedelta(days=1),
            closes_at=utcnow() + timedelta(days=5),
        )
        db.add(round_)
        db.flush()
        db.add_all(RoundInvitation(round_id=round_.id, organisation_id=o.id) for o in orgs.values())
        rounds[i] = round_.id
    db.commit()
    for i, round_id in rounds.items():
        if i % 3 == 0:
            pages.check(f"round {i}", moderator.get(f"/rounds/{round_id}"))
    deadline = days_ahead(10)
    for i in range(1, len(PAYLOADS), 8):  # and through the form, opened (which notifies)
        made = moderator.submit(
            f"/consultations/{holder.consultation_id}/rounds",
            {
                "title": plain_marked(i, PAYLOADS[i]),
                "brief": marked(i, PAYLOADS[i]),
                "closes_at": deadline,
                "weighting": "1:1:1",
                "organisations": [str(o.id) for o in orgs.values()],
            },
        )
        assert made.status_code == 303, made.text
        pages.check(f"round {i} (draft)", moderator.get(made.headers["location"]))
        opened = moderator.submit(f"{made.headers['location']}/open", {})
        assert opened.status_code == 303, opened.text
    consultation = f"/consultations/{holder.consultation_id}"
    pages.check("consultation holding every round", moderator.get(consultation))
    pages.check("new round form", moderator.get(f"{consultation}/rounds/new"))
    pages.check("home", moderator.get("/"))
    pages.check("moderation dashboard", moderator.get("/moderation"))
    pages.check("audit", moderator.get("/audit"))
    workers = factories.signed_in(make_client, db, reps[Group.WORKERS])
    pages.check("notifications", workers.get("/notifications"))
    pages.check("home, representative", workers.get("/"))
    # the form keeps what was typed when it refuses it (a title that is too long)
    for i in range(0, len(PAYLOADS), 8):
        refused = moderator.submit(
            "/consultations", {"title": plain_marked(i, PAYLOADS[i]) + "x" * 300, "brief": "b"}
        )
        pages.check(f"refused consultation {i}", refused, 422)
    pages.assert_clean(every_marker())


def test_moderation_texts(make_client, db):
    """Flag reasons, hiding notes, audit details, API token names, outcomes and the groups'
    reservations. Stored as written (they are plain text, or markdown rendered on display), so
    most are written directly; a few go through the forms, to show the forms store them so."""
    round_, orgs, reps = factories.three_groups_round(db)
    speakers = {g: factories.member(db, orgs[g], MandateRole.FOCAL_POINT) for g in Group}
    moderator_user = factories.user(db, platform_role=PlatformRole.MODERATOR)
    government = (reps[Group.GOVERNMENT], orgs[Group.GOVERNMENT])
    closed_rounds = {}
    for i, payload in enumerate(PAYLOADS):
        text = plain_marked(i, payload)
        flagged = factories.comment(db, round_, *government, f"Flagged {i}")
        db.add(Flag(comment_id=flagged.id, reporter_id=reps[Group.WORKERS].id, reason=text))
        hidden = factories.comment(db, round_, *government, f"Hidden {i}")
        hidden.visibility = "hidden"
        hidden.moderation_reason = text
        hidden.moderated_by_id = moderator_user.id
        hidden.moderated_at = utcnow()
        record(db, moderator_user.id, "round.extended", "round", round_.id, reason=text)
        tokens.create(db, text[:100], None)
        if i % 2:
            continue  # outcomes and reservations: every other payload (a round page each)
        closed = factories.consultation_round(
            db,
            orgs.values(),
            status=RoundStatus.CLOSED,
            opens_at=utcnow() - timedelta(days=3),
            closes_at=utcnow() - timedelta(days=1),
        )
        closed.outcome = marked(i, payload)
        closed.signoff_deadline = utcnow() + timedelta(days=2)
        db.add_all(
            GroupSignoff(
                round_id=closed.id,
                group_name=g.value,
                spokesperson_id=speakers[g].id,
                organisation_id=orgs[g].id,
                status="reservation",
                reservation=text,
                decided_at=utcnow(),
            )
            for g in Group
        )
        closed_rounds[i] = closed.id
    db.commit()
    moderator = factories.signed_in(make_client, db, moderator_user)
    admin = factories.signed_in(
        make_client, db, factories.user(db, platform_role=PlatformRole.ADMIN)
    )
    workers = factories.signed_in(make_client, db, reps[Group.WORKERS])
    spokesperson = factories.signed_in(make_client, db, speakers[Group.WORKERS])
    pages = Pages()
    base = f"/rounds/{round_.id}"
    for page in range(1, 7):
        pages.check(f"round page {page}", workers.get(f"{base}?page={page}"))
        pages.check(f"round page {page}, moderator", moderator.get(f"{base}?page={page}"))
    pages.check("dashboard", moderator.get("/moderation"))
    for page in range(1, 4):
        pages.check(f"audit page {page}", moderator.get(f"/audit?page={page}"))
    pages.check("api tokens", admin.get("/admin/api-tokens"))
    for i, round_id in closed_rounds.items():
        pages.check(f"outcome and reservations {i}", spokesperson.get(f"/rounds/{round_id}"))
        if i % 20 == 0:
            pages.check(f"summary {i}", workers.get(f"/rounds/{round_id}/summary"))
            pages.check(f"outcome form {i}", moderator.get(f"/rounds/{round_id}/outcome"))
    # and through the forms, for a few
    comments = [factories.comment(db, round_, *government, f"To flag {i}") for i in range(8)]
    db.commit()
    for n, i in enumerate(range(0, len(PAYLOADS), 10)):
        text = plain_marked(i, PAYLOADS[i])
        flag = workers.submit(
            f"{base}/comments/{comments[n].id}/flag", {"reason": text}, headers=HTMX
        )
        pages.check(f"flagged {i}", flag)
        hide = moderator.submit(
            f"{base}/comments/{comments[n].id}/hide", {"reason_code": "other", "note": text}
        )
        assert hide.status_code == 303, hide.text
        pages.check(f"token {i}", admin.submit("/admin/api-tokens", {"name": text[:100]}))
        round_id = closed_rounds[i]
        outcome = moderator.submit(f"/rounds/{round_id}/outcome", {"outcome": marked(i, text)})
        assert outcome.status_code == 303, outcome.text
        decided = spokesperson.submit(
            f"/rounds/{round_id}/signoff/decision", {"decision": "reservation", "reservation": text}
        )
        assert decided.status_code == 303, decided.text
        pages.check(f"after the forms {i}", spokesperson.get(f"/rounds/{round_id}"))
    pages.check("dashboard after the forms", moderator.get("/moderation"))
    pages.check("audit after the forms", moderator.get("/audit"))
    pages.assert_clean(every_marker())


def _file_name(index: int, payload: str) -> str:
    """A payload as a file's name, the way a browser sends it: without the folder separators
    and control characters the app refuses in a name (tests/http/test_attachments.py), and
    with the payload's marker."""
    cleaned = re.sub(r"[/\\\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", payload)
    return f"{cleaned} {marker(index)}.docx"


def test_attachment_titles_folders_and_file_names(make_client, db):
    """Every payload as a document's title, folder and file name (uploaded through the form,
    a new version of it too, so the first version's name is listed): the documents page as
    its moderator and as a representative, the confirmations, and the form given back when it
    refuses (what was typed is kept) show them as text."""
    round_, _orgs, reps = factories.three_groups_round(db)
    moderator = factories.signed_in(
        make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR)
    )
    reader = factories.signed_in(make_client, db, reps[Group.WORKERS])
    url = f"/rounds/{round_.id}/attachments"
    pages = Pages()
    for i, payload in enumerate(PAYLOADS):
        text = plain_marked(i, payload)
        described = {"title": text, "folder": text, "place": "round", "language": "en"}
        word = {"file": (_file_name(i, payload), docx_with(f"Study {i}."), "application/pdf")}
        htmx = HTMX if i % 2 else {}
        added = moderator.submit(url, described, files=word, headers=htmx)
        assert added.status_code in (204, 303), (i, added.status_code, added.text[:500])
        location = added.headers.get("location") or added.headers["HX-Redirect"]
        attachment_id = int(location.rsplit("#attachment-", 1)[1])
        if i % 3 == 0:  # the confirmation names the title and the file
            pages.check(f"added {i}", moderator.get(location))
        again = {"file": (_file_name(i, payload), docx_with(f"Study {i}, v2."), "text/plain")}
        newer = moderator.submit(f"/attachments/{attachment_id}/versions", files=again)
        assert newer.status_code == 303, (i, newer.status_code, newer.text[:500])
        if i % 3 == 1:
            pages.check(f"new version {i}", moderator.get(newer.headers["location"]))
        if i % 5 == 0:  # refused (no file): the form comes back with the title and folder
            refused = moderator.submit(url, described, headers=htmx, **multipart_body())
            pages.check(f"refused {i}", refused, 422)
    listed = pages.check("documents page, moderator", moderator.get(url))
    pages.check("documents page, representative", reader.get(url))
    pages.assert_clean(every_marker())
    # each file's name reached the page too (the first versions are listed by name)
    shown = scan(listed.text)[1]
    missing = [i for i in range(len(PAYLOADS)) if f"{marker(i)}.docx" not in shown]
    assert not missing, f"file names not listed: {missing}"


def multipart_body() -> dict[str, Any]:
    """A form sent as ``multipart/form-data`` without a file (as a browser sends the form when
    no file was chosen)."""
    return {"files": {"file": ("", b"", "application/octet-stream")}}
