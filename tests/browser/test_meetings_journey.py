"""A tripartite body at work, in a real browser, through the pages alone. The secretariat
convenes a meeting of the demo's National Labour Advisory Council, puts an item on the agenda
and issues it; the holders of the government's, the workers' and the employers' seats mark
themselves present, each in their own browser, until the quorum box says quorate. While the
secretariat's page stays open, the employers' holder leaves: the box turns "not quorate",
naming the employers, without a reload, and turns back when they return. A group-equal vote
is taken (for, for, against) and recorded; its record shows the votes by group, the result and
the attendance. An action owned by the government gets a progress note from the government's
holder and is disputed by the workers'. The decision is then in the body's decisions register
and in the country's annual report.

The meeting starts half an hour before the test runs (the form accepts a start in the past; a
meeting convened for a start already passed is marked "short notice"): the annual report counts
a meeting as held once it has started (app.cycle.service.bodies_of_year), so the journey's
meeting and decision are in the report of the year the meeting started.

The meeting page is kept as screenshots at 1280 and 375 pixels wide, the decision record and
the action page at 1280, in ``test-artifacts/``."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import axe_violations

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
COUNCIL = "National Labour Advisory Council"
SECRETARIAT = "moderator@tripartite.example"
GOVERNMENT = ("focal@labour.example", "Ministry of Labour and Social Protection")
WORKERS = ("focal@atuc.example", "Ardenia Trade Union Confederation")
EMPLOYERS = ("focal@aef.example", "Ardenia Employers' Federation")
#: A fourth seat the secretariat marks from its attendance list (the council's quorum is four
#: seats overall and one in each group: app/bodies/demo.py).
FOURTH = "Ministry of Interior, Directorate of Migration"


def shot(page: Page, name: str, *, width: int = 1280) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    page.screenshot(path=str(ARTIFACTS / f"meetings-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def accessible(page: Page) -> None:
    """axe-core finds nothing against WCAG 2.x A and AA on the page as it stands."""
    found = axe_violations(page)
    assert not found, f"{page.url}:\n" + "\n".join(found)


def path_of(page: Page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url).split("#")[0]


def mark_myself(page: Page, meeting_path: str, organisation: str, button: str) -> None:
    """A seat holder, on the meeting page, marks their own seat with the named button."""
    page.goto(meeting_path)
    own = page.locator("#your-part .own-seat", has_text=organisation)
    own.get_by_role("button", name=button).click()
    expect(page.locator("#flash")).to_contain_text(organisation)
    # back on their own part of the page, the quorum just below it
    expect(page).to_have_url(re.compile(r"#your-part$"))
    expect(page.locator("#your-part")).to_be_in_viewport()


def test_a_meeting_its_quorum_a_group_equal_vote_and_a_disputed_action(
    live_server, new_context
) -> None:
    tag = uuid.uuid4().hex[:6]
    password = live_server.password
    title = f"Extraordinary plenary {tag}"
    item_title = f"Minimum wage for domestic workers {tag}"
    decision_text = f"The council recommends a minimum wage for domestic workers ({tag})."
    action_what = f"Draft the minimum wage order for domestic workers ({tag})"

    # 1. the secretariat: Bodies → the council → convene a meeting, an item, issue the agenda
    secretariat = new_context(bypass_csp=True).new_page()
    sign_in(secretariat, SECRETARIAT, password)
    secretariat.get_by_role("link", name="Bodies", exact=True).first.click()
    secretariat.get_by_role("link", name=COUNCIL, exact=True).click()
    expect(secretariat.locator("h1")).to_have_text(COUNCIL)
    body_path = path_of(secretariat)
    secretariat.get_by_role("link", name="Convene a meeting").click()
    starts = (datetime.now(UTC) - timedelta(minutes=30)).replace(second=0, microsecond=0)
    secretariat.get_by_label("Title").fill(title)
    secretariat.get_by_label("Starts at").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    secretariat.get_by_label("Ends at (optional)").fill(
        (starts + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    )
    secretariat.get_by_label("Place", exact=True).fill("Ministry of Labour, room 4")
    secretariat.get_by_label(re.compile(r"Public meeting: listed")).check()
    secretariat.get_by_role("button", name="Convene the meeting").click()
    expect(secretariat.locator("#flash")).to_contain_text(f"The meeting “{title}” is convened.")
    expect(secretariat.locator("#flash")).to_contain_text("short notice")
    expect(secretariat.locator("h1")).to_have_text(title)
    expect(secretariat.locator("#short-notice")).to_be_visible()
    meeting_path = path_of(secretariat)
    assert re.fullmatch(r"/meetings/\d+", meeting_path)

    part = secretariat.locator("#your-part")
    part.get_by_text("Put an item on the agenda").click()
    part.get_by_label("Title of the item").fill(item_title)
    part.get_by_label("Public", exact=True).check()
    part.get_by_role("button", name="Put it on the agenda").click()
    expect(secretariat.locator("#flash")).to_contain_text(
        f"Item 1, “{item_title}”, is on the agenda."
    )
    secretariat.get_by_role("button", name="Issue the agenda").click()
    expect(secretariat.locator("#flash")).to_contain_text("is issued")
    expect(secretariat.locator("#agenda")).to_contain_text("Issued on")
    # with the agenda issued, the secretariat's part names what is left to do
    expect(part).to_contain_text("As the secretariat you keep the record of this meeting")

    # 2. the three groups' holders mark their own seats present; the secretariat a fourth
    quorum = secretariat.locator("#quorum")
    expect(quorum).to_have_attribute("data-quorate", "false")
    people: dict[str, Page] = {}
    for email, organisation in (GOVERNMENT, WORKERS, EMPLOYERS):
        person = new_context(bypass_csp=True).new_page()
        sign_in(person, email, password)
        mark_myself(person, meeting_path, organisation, "I am present")
        expect(person.locator("#your-part")).to_contain_text("Its attendance: present (holder).")
        people[email] = person
    shot(people[WORKERS[0]], "meeting-member")
    accessible(people[WORKERS[0]])
    shot(people[WORKERS[0]], "meeting-member", width=375)
    secretariat.reload()
    expect(quorum).to_have_attribute("data-quorate", "false")  # three seats of the four needed
    expect(quorum).to_contain_text("3 of 8 seats present (4 needed)")
    seat = secretariat.locator("#attendance li", has_text=FOURTH)
    seat.get_by_label(f"Attendance of {FOURTH}").select_option(label="present (holder)")
    seat.get_by_role("button", name="Mark").click()
    expect(secretariat.locator("#flash")).to_contain_text(FOURTH)
    expect(secretariat).to_have_url(re.compile(r"#attendance-seat-\d+$"))
    expect(quorum).to_have_attribute("data-quorate", "true")
    expect(quorum).to_contain_text("Quorate: 4 of 8 seats present, every group present.")
    shot(secretariat, "meeting-secretariat")
    accessible(secretariat)
    shot(secretariat, "meeting-secretariat", width=375)

    # 3. the employers' holder leaves and comes back; the secretariat's page follows, live
    employers = people[EMPLOYERS[0]]
    mark_myself(employers, meeting_path, EMPLOYERS[1], "I am leaving (absent)")
    expect(quorum).to_have_attribute("data-quorate", "false", timeout=10_000)
    expect(quorum).to_contain_text("no employers' seat is present")
    shot(secretariat, "meeting-not-quorate")
    mark_myself(employers, meeting_path, EMPLOYERS[1], "I am present")
    expect(quorum).to_have_attribute("data-quorate", "true", timeout=10_000)
    expect(quorum).to_contain_text("every group present")

    # 4. a group-equal vote on the item: for, for, against; recorded
    secretariat.reload()
    item = secretariat.locator(".agenda-item", has_text=item_title)
    item.get_by_text("Open a decision on this item").click()
    item.get_by_label("Text of the decision").fill(decision_text)
    item.get_by_label("How it is taken").select_option(label="By a group-equal vote")
    item.get_by_role("button", name="Open the decision").click()
    expect(secretariat.locator("#flash")).to_contain_text(f"A decision is open on “{item_title}”")
    decision_path = path_of(secretariat)
    assert re.fullmatch(r"/decisions/\d+", decision_path)

    for (email, organisation), choice in zip(
        (GOVERNMENT, WORKERS, EMPLOYERS), ("For", "For", "Against"), strict=True
    ):
        voter = people[email]
        voter.goto(meeting_path)
        form = voter.locator(".agenda-item", has_text=item_title).locator(".vote-form")
        form.get_by_label(choice, exact=True).check()
        form.get_by_role("button", name="Cast the vote").click()
        expect(voter.locator("#flash")).to_contain_text(
            f"The vote of {organisation} is recorded: {choice.lower()}"
        )

    secretariat.goto(decision_path)
    secretariat.locator("#record").get_by_role("button", name="Record the decision").click()
    expect(secretariat.locator("#flash")).to_contain_text("The decision is recorded.")
    # the record, reached as a member would: from the meeting page
    workers = people[WORKERS[0]]
    workers.goto(meeting_path)
    workers.locator(".agenda-item", has_text=item_title).get_by_role(
        "link", name="The decision's record and its actions"
    ).click()
    expect(workers).to_have_url(re.compile(re.escape(decision_path) + "$"))
    record = workers.locator(".decision-record")
    expect(record).to_contain_text(decision_text)
    expect(record).to_contain_text("Taken by a group-equal vote.")
    votes = record.locator(".votes-by-group li")
    expect(record.locator(".decision-result")).to_contain_text(
        "Adopted: government and workers for (weight 2 of 3; at least 1.5 needed)."
    )
    expect(votes.filter(has_text="Government")).to_contain_text(f"{GOVERNMENT[1]} voted for")
    expect(votes.filter(has_text="Government")).to_contain_text("(for)")
    expect(votes.filter(has_text="Workers")).to_contain_text(f"{WORKERS[1]} voted for")
    expect(votes.filter(has_text="Employers")).to_contain_text(f"{EMPLOYERS[1]} voted against")
    expect(votes.filter(has_text="Employers")).to_contain_text("(against)")
    expect(record.locator(".decision-result")).to_have_class(re.compile(r"\badopted\b"))
    attendance = record.locator("ul.attendance")
    expect(attendance).to_contain_text(f"{EMPLOYERS[1]} (Employers): present (holder)")
    expect(attendance).to_contain_text(f"{FOURTH} (Government): present (holder)")
    expect(record.locator(".quorum")).to_contain_text("The meeting was quorate: 4 seats present")
    shot(workers, "decision")
    accessible(workers)

    # 5. the secretariat adds an action owned by the government; progress; disputed
    secretariat.reload()
    secretariat.get_by_label("What is to be done").fill(action_what)
    secretariat.get_by_label("Who carries it out").select_option(label="the government")
    due = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
    secretariat.get_by_label("Due date").fill(due)
    secretariat.get_by_role("button", name="Add the action").click()
    expect(secretariat.locator("#flash")).to_contain_text(f"The action “{action_what}” is added")
    action_path = path_of(secretariat)
    assert re.fullmatch(r"/actions/\d+", action_path)

    government = people[GOVERNMENT[0]]
    government.goto(decision_path)
    government.get_by_role("link", name=action_what).click()
    government.get_by_label("What has been done").fill("A first draft is with the social partners.")
    government.get_by_label("The action is now").select_option(label="in progress")
    government.get_by_role("button", name="Report progress").click()
    expect(government.locator("#flash")).to_contain_text("the action is now in progress")

    workers.goto(decision_path)
    workers.get_by_role("link", name=action_what).click()
    words = workers.locator("#confirmations")
    words.get_by_label("Disputed").check()
    reason = "The draft leaves out live-in workers' hours."
    words.get_by_label(re.compile(r"Reason")).fill(reason)
    words.get_by_role("button", name="Give the group's word").click()
    expect(workers.locator("#flash")).to_contain_text("The Workers group's word")
    expect(workers.locator(".flag.disputed")).to_contain_text(
        "The Workers group disputes the reported progress."
    )
    expect(workers.locator("#confirmations")).to_contain_text(reason)
    shot(workers, "action")
    accessible(workers)

    # 6. the decision in the body's register and in the country's annual report
    secretariat.goto(body_path)
    secretariat.get_by_role("link", name="Decisions register").click()
    row = secretariat.locator("main").get_by_text(decision_text)
    expect(row).to_be_visible()
    shot(secretariat, "register")
    accessible(secretariat)

    observer = new_context(bypass_csp=True).new_page()
    sign_in(observer, "observer@agency.example", password)
    observer.get_by_role("link", name="C144 cycle").click()
    country = "Republic of Ardenia"  # app/demo.py
    year = starts.year
    observer.get_by_role("link", name=f"{country}, {year}").click()
    observer.get_by_role("link", name="Read the report").click()
    bodies = observer.locator(".report-bodies")
    expect(bodies.locator(".report-meetings")).to_contain_text(
        f"{COUNCIL}: {title}. Held, quorate."
    )
    expect(bodies.locator(".report-decisions")).to_contain_text(item_title)
    decision_row = bodies.locator(".report-decisions tr", has_text=item_title)
    expect(decision_row).to_contain_text("Adopted.")
    expect(decision_row).to_contain_text("disputed")
    shot(observer, "report")
