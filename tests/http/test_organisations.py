"""Organisations choose their own representatives: registration, invitations, mandates, roles."""

import re
from datetime import timedelta

from sqlalchemy import select, update

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.db import utcnow
from app.organisations.models import Invitation, Mandate, Organisation
from app.vocabulary import Group, MandateRole, PlatformRole
from tests import factories
from tests.conftest import text_of

NEW_PASSWORD = "a long enough passphrase"


def invitation_path(html: str) -> str:
    match = re.search(r'value="https?://[^/"]+(/invitations/[A-Za-z0-9_\-]+)"', html)
    assert match, "the page shows no invitation link"
    return match.group(1)


def accept(client, path: str, name: str = "New Person", password: str = NEW_PASSWORD):
    token = path.rsplit("/", 1)[1]
    assert client.get(path).status_code == 200
    return client.submit(
        "/invitations/accept", {"token": token, "name": name, "password": password}
    )


def register(client, **overrides: str):
    form = {
        "name": "Union of Care Workers",
        "group": "workers",
        "country": "Ardenia",
        "focal_point_name": "Grace Mwangi",
        "focal_point_email": "grace@ucw.example",
    }
    form.update(overrides)
    return client.submit("/admin/organisations", form)


def signed_in_admin(make_client, db):
    admin = factories.user(db, platform_role=PlatformRole.ADMIN)
    client = make_client()
    client.sign_in(admin.email, factories.PASSWORD)
    return client


def test_admin_registers_an_organisation_whose_focal_point_accepts(make_client, db):
    admin = signed_in_admin(make_client, db)
    response = register(admin)
    assert response.status_code == 201
    assert "Union of Care Workers" in text_of(response.text)
    path = invitation_path(response.text)
    newcomer = make_client()
    accepted = accept(newcomer, path, name="Grace Mwangi")
    assert accepted.status_code == 303
    home = text_of(newcomer.get("/").text)
    assert "Grace Mwangi" in home and "Union of Care Workers" in home
    assert "Workers" in home and "Focal point" in home
    org = db.scalar(select(Organisation).where(Organisation.name == "Union of Care Workers"))
    assert org is not None and org.group is Group.WORKERS
    mandate = db.scalar(select(Mandate).where(Mandate.organisation_id == org.id))
    assert mandate is not None and mandate.role == "focal_point"
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"organisation.registered", "invitation.issued", "mandate.created"} <= actions


def test_an_invitation_works_only_once(make_client, db):
    admin = signed_in_admin(make_client, db)
    path = invitation_path(register(admin).text)
    assert accept(make_client(), path).status_code == 303
    again = make_client()
    reused = again.get(path)
    assert reused.status_code == 410
    assert "already been used" in text_of(reused.text)
    token = path.rsplit("/", 1)[1]
    replay = again.submit(
        "/invitations/accept", {"token": token, "name": "Mallory", "password": "another passphrase"}
    )
    assert replay.status_code == 410


def test_an_expired_invitation_is_refused(make_client, db):
    admin = signed_in_admin(make_client, db)
    path = invitation_path(register(admin).text)
    db.execute(update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
    visitor = make_client()
    response = visitor.get(path)
    assert response.status_code == 410
    assert "expired" in text_of(response.text)
    assert db.scalar(select(Mandate.id)) is None


def test_an_unknown_invitation_link_is_a_clear_404(client):
    response = client.get("/invitations/not-a-real-token")
    assert response.status_code == 404
    assert "not valid" in text_of(response.text)


def test_accepting_with_a_short_password_keeps_the_form(make_client, db):
    admin = signed_in_admin(make_client, db)
    path = invitation_path(register(admin).text)
    response = accept(make_client(), path, name="Grace M.", password="short")
    assert response.status_code == 422
    assert 'value="Grace M."' in response.text
    assert "at least 12 characters" in response.text


def test_registration_refuses_bad_input_with_the_form_kept(make_client, db):
    admin = signed_in_admin(make_client, db)
    assert register(admin).status_code == 201
    duplicate = register(admin, focal_point_email="other@ucw.example")
    assert duplicate.status_code == 409
    assert "already registered" in text_of(duplicate.text)
    assert 'value="other@ucw.example"' in duplicate.text
    unknown_group = register(admin, name="Some Org", group="students")
    assert unknown_group.status_code == 422
    assert "Choose government, workers or employers." in text_of(unknown_group.text)
    too_long = register(admin, name="N" * 201)
    assert too_long.status_code == 422
    assert "at most 200 characters" in text_of(too_long.text)
    bad_email = register(admin, name="Another Org", focal_point_email="not-an-email")
    assert bad_email.status_code == 422
    assert 'id="f-focal_point_email-error"' in bad_email.text


def test_focal_point_mandates_and_revokes_a_representative(make_client, db):
    org = factories.organisation(db, Group.EMPLOYERS, name="Federation of Builders")
    focal = factories.member(db, org, MandateRole.FOCAL_POINT)
    fp = make_client()
    fp.sign_in(focal.email, factories.PASSWORD)
    issued = fp.submit(
        f"/organisations/{org.id}/invitations",
        {
            "name": "Sofia Greco",
            "email": "Sofia@Builders.example",
            "role": "representative",
            "mandate_expires_at": "",
        },
    )
    assert issued.status_code == 201
    rep = make_client()
    assert accept(rep, invitation_path(issued.text), name="Sofia Greco").status_code == 303
    assert "Federation of Builders" in text_of(rep.get("/").text)
    sofia = db.scalar(select(User).where(User.email == "sofia@builders.example"))
    mandate = db.scalar(select(Mandate).where(Mandate.user_id == sofia.id))
    revoked = fp.submit(f"/organisations/{org.id}/mandates/{mandate.id}/revoke", {"reason": "left"})
    assert revoked.status_code == 303
    home = text_of(rep.get("/").text)
    assert "No active mandate" in home


def test_inviting_someone_who_speaks_for_another_organisation_is_told_to_them_not_the_inviter(
    make_client, db
):
    union = factories.organisation(db, Group.WORKERS, name="First Union")
    other = factories.organisation(db, Group.EMPLOYERS)
    taken = factories.member(db, union)
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    focal = factories.member(db, other, MandateRole.FOCAL_POINT)
    fp = make_client()
    fp.sign_in(focal.email, factories.PASSWORD)
    # the focal point is told the same as for anyone: nothing about the address's account
    for person in (taken, moderator):
        response = fp.submit(
            f"/organisations/{other.id}/invitations",
            {"name": "Someone", "email": person.email, "role": "representative"},
        )
        assert response.status_code == 201
        said = text_of(response.text)
        assert f"Invitation created for Someone ({person.email})" in said
        assert "First Union" not in said and "platform role" not in said
        # the person invited is told, once they confirm it is them with their password
        refused = accept(make_client(), invitation_path(response.text), password=factories.PASSWORD)
        assert refused.status_code == 409
        told = text_of(refused.text)
        if person is taken:
            assert "This account already speaks for First Union" in told
        else:
            assert "This account holds a platform role" in told
    assert len(db.scalars(select(Mandate).where(Mandate.user_id == taken.id)).all()) == 1


def test_inviting_an_existing_account_to_a_platform_role_says_nothing_of_it(make_client, db):
    admin = signed_in_admin(make_client, db)
    someone = factories.user(db)
    db.commit()
    invited = admin.submit(
        "/admin/people/invitations", {"name": "Obi", "email": someone.email, "role": "observer"}
    )
    assert invited.status_code == 201
    assert "already exists" not in text_of(invited.text)
    # the account takes the role up with its own password
    taken_up = accept(make_client(), invitation_path(invited.text), password=factories.PASSWORD)
    assert taken_up.status_code == 303
    assert db.get(User, someone.id).platform_role == PlatformRole.OBSERVER.value


def test_mandate_expiry_must_be_a_future_date(make_client, db):
    org = factories.organisation(db)
    focal = factories.member(db, org, MandateRole.FOCAL_POINT)
    fp = make_client()
    fp.sign_in(focal.email, factories.PASSWORD)
    response = fp.submit(
        f"/organisations/{org.id}/invitations",
        {
            "name": "A",
            "email": "a@b.example",
            "role": "representative",
            "mandate_expires_at": "2001-01-01",
        },
    )
    assert response.status_code == 422
    assert "must be in the future" in text_of(response.text)
    garbled = fp.submit(
        f"/organisations/{org.id}/invitations",
        {
            "name": "A",
            "email": "a@b.example",
            "role": "representative",
            "mandate_expires_at": "next tuesday",
        },
    )
    assert garbled.status_code == 422


def test_an_expired_mandate_no_longer_speaks(client, db):
    org = factories.organisation(db, name="Short Mandate Union")
    person = factories.member(db, org)
    db.execute(
        update(Mandate).values(
            expires_at=utcnow() + timedelta(seconds=1), starts_at=utcnow() - timedelta(days=1)
        )
    )
    db.execute(update(Mandate).values(expires_at=utcnow() - timedelta(seconds=1)))
    client.sign_in(person.email, factories.PASSWORD)
    assert "No active mandate" in text_of(client.get("/").text)


def test_roles_are_enforced_on_the_server(make_client, db):
    union = factories.organisation(db, Group.WORKERS)
    other = factories.organisation(db, Group.EMPLOYERS)
    representative = factories.member(db, union)
    focal = factories.member(db, union, MandateRole.FOCAL_POINT)
    observer = factories.user(db, platform_role=PlatformRole.OBSERVER)
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    invite = {"name": "X", "email": "x@y.example", "role": "representative"}
    for person in (representative, observer, moderator, focal):
        browser = make_client()
        browser.sign_in(person.email, factories.PASSWORD)
        for page in ("/admin/organisations", "/admin/people"):
            response = browser.get(page)
            assert response.status_code == 403, (person.email, page)
            assert "This page is for administrators." in text_of(response.text)
        assert register(browser).status_code == 403
        assert browser.submit(f"/admin/people/{person.id}/deactivate").status_code == 403
        # nobody but the organisation's own focal point mandates for it
        assert browser.submit(f"/organisations/{other.id}/invitations", invite).status_code == 403
    browser = make_client()
    browser.sign_in(representative.email, factories.PASSWORD)
    assert browser.submit(f"/organisations/{union.id}/invitations", invite).status_code == 403


def test_an_admin_cannot_mandate_for_an_organisation_that_has_a_focal_point(make_client, db):
    org = factories.organisation(db)
    factories.member(db, org, MandateRole.FOCAL_POINT)
    admin = signed_in_admin(make_client, db)
    response = admin.submit(
        f"/organisations/{org.id}/invitations",
        {"name": "Pushed", "email": "pushed@x.example", "role": "focal_point"},
    )
    assert response.status_code == 403


def test_admin_deactivates_an_account_which_is_signed_out_and_kept(make_client, db):
    person = factories.user(db)
    victim = make_client()
    victim.sign_in(person.email, factories.PASSWORD)
    admin = signed_in_admin(make_client, db)
    assert (
        admin.submit(f"/admin/people/{person.id}/deactivate", {"reason": "left"}).status_code == 303
    )
    assert victim.get("/").status_code == 303
    assert db.get(User, person.id) is not None  # never deleted
    assert "Deactivated" in text_of(admin.get("/admin/people").text)


def test_admin_invites_an_observer(make_client, db):
    admin = signed_in_admin(make_client, db)
    response = admin.submit(
        "/admin/people/invitations",
        {"name": "Agency Analyst", "email": "analyst@agency.example", "role": "observer"},
    )
    assert response.status_code == 201
    newcomer = make_client()
    assert (
        accept(newcomer, invitation_path(response.text), name="Agency Analyst").status_code == 303
    )
    assert "Observer (agency)" in text_of(newcomer.get("/").text)


def test_one_person_cannot_accept_mandates_from_two_organisations(make_client, db):
    admin = signed_in_admin(make_client, db)
    first = invitation_path(
        register(
            admin,
            name="Double Workers Union",
            group="workers",
            focal_point_email="dee@double.example",
        ).text
    )
    second = invitation_path(
        register(
            admin,
            name="Double Employers Club",
            group="employers",
            focal_point_email="dee@double.example",
        ).text
    )
    assert accept(make_client(), first, name="Dee").status_code == 303
    refused = accept(make_client(), second, name="Dee")
    assert refused.status_code == 409
    assert "already speaks for Double Workers Union" in text_of(refused.text)
    dee = db.scalar(select(User).where(User.email == "dee@double.example"))
    assert len(db.scalars(select(Mandate).where(Mandate.user_id == dee.id)).all()) == 1


def test_revoking_a_mandate_needs_a_reason(make_client, db):
    org = factories.organisation(db)
    focal = factories.member(db, org, MandateRole.FOCAL_POINT)
    rep = factories.member(db, org)
    fp = make_client()
    fp.sign_in(focal.email, factories.PASSWORD)
    mandate = db.scalar(select(Mandate).where(Mandate.user_id == rep.id))
    refused = fp.submit(f"/organisations/{org.id}/mandates/{mandate.id}/revoke", {"reason": " "})
    assert refused.status_code == 422
    assert "Say why the mandate is revoked" in text_of(refused.text)
    assert db.get(Mandate, mandate.id).revoked_at is None
