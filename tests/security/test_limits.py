"""Limits: oversized bodies (413), forms with too many fields or that cannot be read (4xx),
and ids out of any range in every path, and in queries and forms (404, never a 500)."""

from __future__ import annotations

import base64
import os
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from app.documents.models import Attachment, AttachmentVersion
from app.documents.storage import file_store
from app.vocabulary import Group, PlatformRole, RoundStatus
from tests import factories
from tests.conftest import multipart, text_of
from tests.security.test_authorisation_matrix import TABLE, concrete_path, fill
from tests.security.world import app_routes, build, clients_for, undone
from tests.word_files import docx_with

pytestmark = pytest.mark.usefixtures("cheap_passwords")

TEN_MB = 10 * 1024 * 1024
FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_a_ten_megabyte_body_answers_413(make_client, db):
    round_, _orgs, reps = factories.three_groups_round(db)
    rep = factories.signed_in(make_client, db, reps[Group.WORKERS])
    token = rep.csrf()
    body = b"csrftoken=" + token.encode() + b"&body=" + b"x" * TEN_MB
    for path in ("/login", f"/rounds/{round_.id}/comments", "/api/v1/rounds"):
        declared = rep.post(path, content=body, headers=FORM)
        assert declared.status_code == 413, (path, declared.status_code)
        # the same without a Content-Length (chunked): counted as it arrives
        chunked = rep.post(path, content=iter([body[:1000], body[1000:]]), headers=FORM)
        assert chunked.status_code == 413, (path, chunked.status_code)
        # and as multipart (a form with a file), chunked
        large = multipart({"csrftoken": token, "body": "x" * TEN_MB})
        parts = iter([large["content"][:1000], large["content"][1000:]])  # type: ignore[index]
        sent = rep.post(path, content=parts, headers=large["headers"])
        assert sent.status_code == 413, (path, sent.status_code)
    assert rep.get(f"/rounds/{round_.id}").status_code == 200


def test_a_form_with_a_thousand_fields_answers_400(make_client, db):
    round_, _orgs, reps = factories.three_groups_round(db)
    rep = factories.signed_in(make_client, db, reps[Group.WORKERS])
    token = rep.csrf()
    fields = {f"field{i}": "x" for i in range(1000)}
    # (every route that reads a form; one that reads none, like /logout, never parses it)
    for path in ("/login", f"/rounds/{round_.id}/comments", "/notifications/preference"):
        response = rep.post(path, data={"csrftoken": token, "body": "Hello.", **fields})
        assert response.status_code == 400, (path, response.status_code)
        assert "fields" in text_of(response.text).lower()
    # well under the limit the same form posts
    posted = rep.post(
        f"/rounds/{round_.id}/comments",
        data={"csrftoken": token, "body": "Hello.", **{f"f{i}": "x" for i in range(50)}},
    )
    assert posted.status_code == 303


def test_multipart_forms_are_read_and_unreadable_bodies_answer_4xx_not_500(make_client, db):
    """multipart/form-data (what a form with a file sends) is read like a URL-encoded form, its
    token in the form or in a header; a multipart body with too many fields, without its
    boundary or with a text field that is not UTF-8, and URL-encoded bytes that are not UTF-8,
    are refused with a 400, never a 500."""
    round_, _orgs, reps = factories.three_groups_round(db)
    rep = factories.signed_in(make_client, db, reps[Group.WORKERS])
    token = rep.csrf()
    path = f"/rounds/{round_.id}/comments"
    for headers in ({}, {"x-csrftoken": token}):
        fields = {"body": "Hello.", **({} if headers else {"csrftoken": token})}
        assert rep.post(path, **multipart(fields, **headers)).status_code == 303
        many = {**fields, **{f"f{i}": "x" for i in range(1000)}}
        assert rep.post(path, **multipart(many, **headers)).status_code == 400
        bare = rep.post(
            path, content=b"xx", headers={"content-type": "multipart/form-data", **headers}
        )
        assert bare.status_code == 400
        broken = multipart(fields, **headers)
        broken["content"] = broken["content"].replace(b"Hello.", b"Hello\xff\xfe.")
        assert rep.post(path, **broken).status_code == 400
        garbled = rep.post(
            path,
            content=b"csrftoken=" + token.encode() + b"&body=\xff\xfe\xfd",
            headers={**FORM, **headers},
        )
        assert garbled.status_code == 400
    # a file's bytes are its own: only text fields must be UTF-8
    with_file = rep.post(
        path,
        data={"csrftoken": token, "body": "With a file."},
        files={"attachment": ("notes.bin", b"\xff\xfe\x00binary", "application/octet-stream")},
    )
    assert with_file.status_code == 303
    anonymous = make_client()  # without any cookie: the sign-in form is checked all the same
    assert anonymous.post("/login", **multipart({"email": "a@b.example"})).status_code == 403
    assert anonymous.post("/login", content=b"email=\xff", headers=FORM).status_code == 400


#: Ids no row can have: beyond 32 bits (the columns), beyond 64 bits, negative (small, and
#: beyond 64 bits).
BAD_IDS = [str(2**31), str(2**64 + 1), "-1", str(-(2**64) - 1)]
#: Where another answer than 404 is right, and why.
NOT_404 = {
    ("POST", "/rounds/{round_id}/comments/{comment_id}/replies", "comment_id"): (
        (404, 422),
        "an id that could exist (-1): the reply form comes back with its text and 'not part of "
        "this round' beside it (tests/http/test_comments.py wants that)",
    ),
}
SENDERS = ("admin", "moderator", "focal", "rep", "observer", "other_rep", "token", "anonymous")


def test_ids_out_of_range_in_every_path_answer_404(make_client, db, settings):
    world = build(db, settings)
    clients = clients_for(world, make_client, db)
    routes = [key for key in app_routes(clients["anonymous"].app.fastapi_app) if "_id}" in key[1]]
    assert len(routes) >= 40, routes
    wrong = []
    for method, template in routes:
        case = TABLE.get((method, template))
        sender = (
            "admin"
            if case is None
            # (a route nobody passes, as the revised draft's download of a round never revised:
            # the administrator asks)
            else next((role for role in SENDERS if case.expected[role] == "ok"), "admin")
        )
        data = {} if case is None else {k: fill(v, world) for k, v in case.data.items()}
        client = clients[sender]
        for name in re.findall(r"{(\w+_id)}", template):
            for bad in BAD_IDS:
                if case is None:
                    path = re.sub(r"{\w+}", "1", template)
                else:
                    path = concrete_path(template.replace(f"{{{name}}}", bad), case, world)
                with undone(db):
                    try:
                        response = (
                            client.get(path) if method == "GET" else client.submit(path, data)
                        )
                        location = response.headers.get("location", "")
                        if response.status_code == 303 and not location.startswith("/login"):
                            response = client.get(location)  # (without htmx: to the page)
                        got = response.status_code
                    except Exception as error:  # noqa: BLE001 - reported below
                        got = f"500 ({type(error).__name__}: {error})"
                expected = NOT_404.get((method, template, name), ((404,), ""))[0]
                if got not in expected:
                    wrong.append(f"{method} {template} with {name}={bad} as {sender}: {got}")
    assert not wrong, "\n".join(wrong)


def test_ids_out_of_range_in_queries_and_forms_never_give_a_500(make_client, db, settings):
    world = build(db, settings)
    clients = clients_for(world, make_client, db)
    ids = world.ids
    huge = str(2**64 + 1)
    requests: list[tuple[str, str, str, dict[str, Any]]] = [
        ("moderator", "GET", f"/audit?subject_id={huge}&page={huge}", {}),
        ("moderator", "GET", f"/audit?subject_id=-{huge}", {}),
        ("rep", "GET", f"/rounds/{ids['round']}?organisation={huge}&page={huge}", {}),
        ("rep", "GET", f"/rounds/{ids['round']}?organisation=-1&page=-1&group=%00", {}),
        (
            "rep",
            "GET",
            f"/rounds/{ids['round']}/live?version={huge}&after={huge}&moderated=1e400",
            {},
        ),
        ("rep", "GET", f"/rounds/{ids['round']}/live?version=-1&after=-{huge}&moderated=nan", {}),
        ("token", "GET", f"/api/v1/rounds?cursor={huge}&limit={huge}", {}),
        (
            "rep",
            "GET",
            f"/search?q=x&consultation={huge}&organisation=-1&page={huge}&year=-1",
            {},
        ),
        ("rep", "GET", f"/search?q=comment&organisation={huge}&page=-{huge}&year={huge}", {}),
        ("token", "GET", f"/api/v1/rounds?consultation_id={huge}", {}),
        ("token", "GET", f"/api/v1/rounds/{ids['round']}/comments?cursor=999999999999", {}),
        ("rep", "POST", f"/rounds/{ids['round']}/comments", {"body": "x", "position_id": huge}),
        ("rep", "POST", f"/rounds/{ids['round']}/comments", {"body": "x", "position_id": "-1"}),
        (
            "rep",
            "POST",
            f"/rounds/{ids['round']}/positions",
            {"stance": "support", "statement": "x", "base_version": huge},
        ),
        (
            "moderator",
            "POST",
            f"/consultations/{ids['consultation']}/rounds",
            {"title": "T", "brief": "B", "closes_at": "2099-01-01T00:00", "organisations": [huge]},
        ),
        ("moderator", "POST", f"/rounds/{ids['draft']}/invitations", {"organisations": [huge]}),
        (
            "moderator",
            "POST",
            f"/rounds/{ids['closed']}/signoff",
            {"signoff_deadline": "2099-01-01T00:00", "spokesperson_workers": huge},
        ),
    ]
    wrong = []
    for role, method, path, data in requests:
        with undone(db):
            try:
                client = clients[role]
                response = client.get(path) if method == "GET" else client.submit(path, data)
                got: Any = response.status_code
            except Exception as error:  # noqa: BLE001 - reported below
                got = f"500 ({type(error).__name__}: {error})"
        if not isinstance(got, int) or got >= 500:
            wrong.append(f"{method} {path} as {role}: {got}")
    assert not wrong, "\n".join(wrong)


#: The attachment limit of the upload tests: small, so a file over it is quickly made.
SMALL_ATTACHMENT = 200_000


def _stored(db: Any, settings: Any) -> tuple[int, int, list[str]]:
    """Attachments, their versions, and the files of the file store (``data_dir/files``)."""
    db.expire_all()
    files = settings.data_dir / "files"
    on_disk = sorted(str(p) for p in files.rglob("*") if p.is_file()) if files.exists() else []
    return (
        db.scalar(select(func.count(Attachment.id))) or 0,
        db.scalar(select(func.count(AttachmentVersion.id))) or 0,
        on_disk,
    )


def _multipart_file(token: str, fields: dict[str, str], content: bytes) -> tuple[bytes, str]:
    boundary = "tripartite-limit-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in {"csrftoken": token, **fields}.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_an_upload_over_the_attachment_limit_answers_413_and_stores_nothing(
    make_client_with, db, settings
):
    """A file larger than ``attachment_max_bytes``: cut off by the body limit when the body
    is larger than the file limit and its fields (Content-Length declared, or chunked and
    counted as it arrives), refused by the upload's own check when it is just over (the
    attachments'); either way 413, a sentence, and nothing stored, on the three addresses that
    take a file."""
    round_, _orgs, _reps = factories.three_groups_round(db)
    draft = factories.consultation_round(db, _orgs.values(), status=RoundStatus.DRAFT)
    moderator_user = factories.user(db, platform_role=PlatformRole.MODERATOR)
    store = file_store(settings)
    existing = factories.attachment(db, store, round_, moderator_user)
    db.commit()
    moderator = factories.signed_in(
        lambda: make_client_with(attachment_max_bytes=SMALL_ATTACHMENT), db, moderator_user
    )
    token = moderator.csrf()
    before = _stored(db, settings)
    described = {"title": "Too large", "place": "round", "language": "en"}
    addresses = {
        f"/rounds/{round_.id}/attachments": described,
        f"/attachments/{existing.id}/versions": {},
        f"/rounds/{draft.id}/draft/import": {},
    }
    far_over = b"%PDF-1.4 " + b"x" * (SMALL_ATTACHMENT + 200_000)
    # a real Word file just over the limit (random text: it does not compress away)
    just_over = docx_with(base64.b64encode(os.urandom(SMALL_ATTACHMENT + 20_000)).decode())
    assert SMALL_ATTACHMENT < len(just_over) < SMALL_ATTACHMENT + 60_000, len(just_over)
    wrong = []
    for path, fields in addresses.items():
        sizes = [("far over", far_over), ("just over", just_over)]
        if path.endswith("/draft/import"):
            # the import reads up to its own limit (app/drafts/word.py, MAX_FILE_BYTES: 422
            # past it); only the body limit concerns it here
            sizes = sizes[:1]
        for size, content in sizes:
            body, kind = _multipart_file(token, fields, content)
            declared = moderator.post(path, content=body, headers={"content-type": kind})
            chunks = iter([body[i : i + 65_536] for i in range(0, len(body), 65_536)])
            chunked = moderator.post(path, content=chunks, headers={"content-type": kind})
            for how, response in (("declared", declared), ("chunked", chunked)):
                if response.status_code != 413:
                    wrong.append(f"{path} {size} {how}: {response.status_code}")
                elif "too large" not in text_of(response.text).lower():
                    wrong.append(f"{path} {size} {how}: {text_of(response.text)[:200]}")
    assert not wrong, "\n".join(wrong)
    assert _stored(db, settings) == before
    # under the limit the same address takes a file
    body, kind = _multipart_file(token, described, docx_with("Small enough."))
    taken = moderator.post(
        f"/rounds/{round_.id}/attachments", content=body, headers={"content-type": kind}
    )
    assert taken.status_code == 303, taken.text[:500]
    assert _stored(db, settings)[1] == before[1] + 1


def test_the_larger_limit_is_for_the_upload_addresses_only(make_client, db):
    """A form's body is limited to ``max_body_bytes`` (1 MB) everywhere but the three addresses
    that take a file; there a 2 MB file is read (and refused for what it is, not its size)."""
    round_, _orgs, reps = factories.three_groups_round(db)
    moderator = factories.signed_in(
        make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR)
    )
    token = moderator.csrf()
    two_mb = b"\x00not a document" * (2_000_000 // 15)
    described = {"title": "Large", "place": "round", "language": "en", "body": "Hello."}
    body, kind = _multipart_file(token, described, two_mb)
    for path in (
        f"/rounds/{round_.id}/comments",
        f"/rounds/{round_.id}/attachments/extra",  # not an upload address: the form's limit
        f"/rounds/{round_.id}/positions",
        "/consultations",
    ):
        response = moderator.post(path, content=body, headers={"content-type": kind})
        assert response.status_code == 413, (path, response.status_code)
        assert "kB" in text_of(response.text), path  # the form's limit, not a file's
    uploaded = moderator.post(
        f"/rounds/{round_.id}/attachments", content=body, headers={"content-type": kind}
    )
    assert uploaded.status_code == 422, uploaded.text[:500]  # read: not a kind of file taken
    assert db.scalar(select(func.count(Attachment.id))) == 0


def test_an_upload_whose_text_field_is_not_utf8_answers_400(make_client, db):
    round_, _orgs, _reps = factories.three_groups_round(db)
    moderator = factories.signed_in(
        make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR)
    )
    fields = {"title": "Caf\u00e9 study", "place": "round", "language": "en"}
    body, kind = _multipart_file(moderator.csrf(), fields, b"%PDF-1.4 fine\n%%EOF")
    broken = body.replace("Caf\u00e9".encode(), b"Caf\xe9")  # Latin-1, not UTF-8
    assert broken != body
    response = moderator.post(
        f"/rounds/{round_.id}/attachments", content=broken, headers={"content-type": kind}
    )
    assert response.status_code == 400, response.status_code
    assert text_of(response.text)
    assert db.scalar(select(func.count(Attachment.id))) == 0
