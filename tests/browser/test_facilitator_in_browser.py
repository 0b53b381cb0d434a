"""The facilitator's journey in a real browser, from an empty database to a resolved question.

The server starts on a fresh database holding one facilitator account and
nothing else, with its SMTP settings pointing at a real local SMTP server
(aiosmtpd) that keeps what it receives. In the browser the facilitator logs
in (by keyboard), creates a study from a bundled question set choosing three
of its questions, checks and confirms a panel file, registers a stopping
rule, e-mails the invitations (delivered by ``elicit mail send``, as cron
would), and opens round 1 with a closing time. Three experts, each in a
browser of their own, follow the link in the e-mail they received and answer
while the facilitator watches the count on the study page grow. The
facilitator closes round 1 through its confirmation page (by keyboard),
opens round 2 leaving out the question the rule settled, which the experts
are then no longer asked, and resolves that question.

The key pages are checked at 360 px (no sideways scrolling, axe-core finds
nothing serious), and screenshots at 1280 px go to ``build/screenshots/``
as ``facilitator-NAME.png`` (the README shows some of them).
"""

from __future__ import annotations

import email
import re
import socket
import threading
from datetime import datetime, timedelta
from email import policy
from zoneinfo import ZoneInfo

import flask_migrate
import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from elicit.extensions import db
from elicit.studies.models import Question
from tests import factories
from tests.browser.conftest import SCREENSHOTS, UNLABELLED_CELLS, fits, serious_violations
from tests.conftest import ElicitCliRunner, fresh_database, make_app

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]'")

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 800}
SLUG = "ukraine-2025"
ZONE = "Europe/Warsaw"
SETTLES = "ua-neutrality-constitution-2027"
"""The question the stopping rule settles after round 1 (the experts nearly agree on it)."""
STAYS = "nato-bucharest-withdrawal-2027"
"""A question without a rule, whose experts disagree: asked again in round 2."""
CHOSEN = (SETTLES, STAYS, "us-recognises-crimea-2027")
PANEL_FILE = (
    "name,email,group\n"
    "Ada Alder,ada@panel.test,NATO member state official\n"
    "Bo Birch,bo@panel.test,NATO member state official\n"
    "Cy Cedar,cy@panel.test,Academic\n"
    "Di Elm,di@panel.test,Academic\n"
    "No Address,not-an-address,Academic\n"
    "Ada Again,ada@panel.test,Academic\n"
)
"""Four good rows, then a bad e-mail address and a duplicate, which the preview lists."""
ANSWERS = {"ada@panel.test": (30, 10), "bo@panel.test": (35, 50), "cy@panel.test": (40, 90)}
"""Each answering expert's probabilities (percent) for SETTLES and STAYS; Di never answers."""


def free_port() -> int:
    """Return a local TCP port nothing listens on (for the SMTP server)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message delivered to it."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def empty_site(tmp_path_factory):
    """Serve a database with only a facilitator account, sending e-mail to a local SMTP server."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    directory = tmp_path_factory.mktemp("journey")
    with fresh_database(directory) as url:
        app = make_app(
            url,
            directory / "instance",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=controller.port,
            SMTP_FROM="Elicit <elicit@example.org>",
            SMTP_STARTTLS=False,
            SMTP_USER=None,
            SMTP_PASSWORD=None,
            REDIS_URL=None,
        )
        with app.app_context():
            flask_migrate.upgrade()
            factories.user(db.session, email="fran@example.org")
            db.session.commit()
            db.session.remove()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield {"app": app, "url": app.config["BASE_URL"], "inbox": inbox}
        finally:
            server.shutdown()
            thread.join()
            controller.stop()
            with app.app_context():
                db.engine.dispose()


def shot(page, name: str, at=None) -> None:  # noqa: ANN001
    """Save a screenshot of ``page`` at 1280 px as ``facilitator-NAME.png``, ``at`` in view."""
    page.set_viewport_size(DESKTOP)
    if at is not None:
        at.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"facilitator-{name}.png"))


def on_a_phone(page, name: str, problems: list[str], *, table: bool = False) -> None:
    """Check ``page`` at 360 px (no sideways scrolling, no serious axe finding), then at 1280 px.

    With ``table``, also check at 640 px, where tables are stacked, that every cell says what
    it is.
    """
    page.set_viewport_size(PHONE)
    if not fits(page):
        wide = page.evaluate("document.documentElement.scrollWidth")
        problems.append(f"{name}: {wide} px wide, so it scrolls sideways at 360 px")
    problems += [f"{name}: {violation}" for violation in serious_violations(page)]
    if table:
        page.set_viewport_size({"width": 640, "height": 800})
        unlabelled = page.evaluate(UNLABELLED_CELLS)
        if unlabelled or not page.locator("table.stack td").count():
            problems.append(f"{name}: cells without a label at 640 px: {unlabelled}")
    page.set_viewport_size(DESKTOP)


def question_ids(app) -> dict[str, int]:
    """Return the journey's study's question ids by key (to find their fields on the page)."""
    with app.app_context():
        rows = db.session.execute(sa.select(Question.key, Question.id)).all()
        db.session.remove()
    return dict(rows)


def send_mail(app) -> str:
    """Run the sender as cron would (``elicit mail send``); return what it printed."""
    result = ElicitCliRunner(app).invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    return result.output


def links_by_recipient(site, base: str) -> dict[str, str]:
    """Return the invitation link in each message the SMTP server received, by recipient."""
    found = {}
    for message in site["inbox"].messages:
        match = re.search(re.escape(base) + r"/invite/[A-Za-z0-9_-]+", message.get_content())
        assert match, message.get_content()
        found[str(message["To"])] = match.group(0)
    return found


def answer_round_1(browser, link: str, probabilities: tuple[int, int], ids: dict[str, int]):
    """Be an expert in a browser of their own: follow the e-mailed link, consent, answer, submit."""
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    page = context.new_page()
    expect = sync_api.expect
    page.goto(link)
    expect(page.get_by_role("heading", name="Who sees what")).to_be_visible()
    page.get_by_label("I have read how my answers are used").check()
    page.get_by_role("button", name="Agree and start").click()
    page.wait_for_url("**/expert/round")
    expect(page.get_by_text("0 of 3 answered")).to_be_visible()
    for key, value in zip((SETTLES, STAYS), probabilities, strict=True):
        page.locator(f"#q{ids[key]}-probability").fill(str(value))
    page.get_by_role("button", name="Review and submit").click()
    page.wait_for_url("**/expert/rounds/1/review")
    page.get_by_role("button", name="Submit round 1").click()
    page.wait_for_url("**/expert/rounds/1/receipt")
    expect(page.get_by_text("Recorded: 2 answers")).to_be_visible()
    return context, page


def test_a_facilitator_runs_a_study_from_an_empty_database_to_a_resolved_question(
    empty_site, browser
):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    app, url = empty_site["app"], empty_site["url"]
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    page = context.new_page()
    expect = sync_api.expect
    problems: list[str] = []

    # Log in by keyboard: Enter in the password field sends the form.
    page.goto(f"{url}/login")
    page.get_by_label("E-mail address").fill("fran@example.org")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/facilitate/")

    # A new study from a bundled question set, asking three of its questions.
    page.get_by_role("link", name="New study").click()
    page.wait_for_url("**/facilitate/studies/new")
    on_a_phone(page, "new-study", problems)
    page.get_by_label("Short name").fill(SLUG)
    page.get_by_label("Title").fill("Ukraine negotiations 2025")
    page.get_by_label("Description").fill("Three questions on the terms of a settlement.")
    page.get_by_label("Time zone").select_option(ZONE)
    page.get_by_label("A question set that comes with elicit").check()
    page.get_by_label("Question set", exact=True).select_option("ukraine-negotiations-2025.yaml")
    page.get_by_role("button", name="Next: choose the questions").click()
    boxes = page.locator("input[name='questions']")
    expect(boxes.first).to_be_visible()
    assert boxes.count() > len(CHOSEN)
    for i in range(boxes.count()):
        box = boxes.nth(i)
        box.set_checked(box.get_attribute("value") in CHOSEN)
    on_a_phone(page, "choose-questions", problems)
    shot(page, "new-study", at=page.locator(f"#question-{SETTLES}"))
    page.get_by_role("button", name="Create the study").click()
    page.wait_for_url(f"**/facilitate/studies/{SLUG}")
    expect(page.get_by_text("The study is created with 3 questions.")).to_be_visible()
    expect(page.get_by_text("0 experts on the panel.")).to_be_visible()
    ids = question_ids(app)
    assert set(ids) == set(CHOSEN)

    # The panel from a CSV file: the preview lists the bad rows; confirming adds the good ones.
    page.get_by_role("navigation", name="This study").get_by_role("link", name="Panel").click()
    page.wait_for_url(f"**/facilitate/studies/{SLUG}/panel")
    expect(page.get_by_text("No experts on the panel yet.")).to_be_visible()
    page.get_by_label("Panel file").set_input_files(
        {"name": "panel.csv", "mimeType": "text/csv", "buffer": PANEL_FILE.encode()}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Check the panel file")).to_be_visible()
    expect(page.get_by_text("Rows that can be added: 4. Rows that cannot: 2.")).to_be_visible()
    bad_rows = page.locator("table").first
    expect(bad_rows).to_contain_text("not-an-address")
    expect(bad_rows.get_by_role("rowheader")).to_have_text(["6", "7"])
    on_a_phone(page, "panel-preview", problems, table=True)
    shot(page, "panel-preview")
    page.get_by_role("button", name="Add 4 experts to the panel").click()
    page.wait_for_url(f"**/facilitate/studies/{SLUG}/panel")
    expect(
        page.get_by_text("4 experts were added to the panel. 2 rows were left out.")
    ).to_be_visible()
    expect(page.get_by_role("rowheader")).to_have_text(
        ["Ada Alder", "Bo Birch", "Cy Cedar", "Di Elm"]
    )

    # A stopping rule, before round 1: the first question settles once its IQR is at most 20 pp.
    # Sent by keyboard (Enter in the threshold field).
    page.get_by_role("navigation", name="This study").get_by_role(
        "link", name="Stopping rules"
    ).click()
    page.wait_for_url(f"**/facilitate/studies/{SLUG}/stopping-rules")
    page.get_by_label("Question", exact=True).select_option(str(ids[SETTLES]))
    page.get_by_label("Rule", exact=True).select_option("iqr")
    page.get_by_label("Threshold", exact=True).fill("20")
    page.get_by_label("Threshold", exact=True).press("Enter")
    expect(page.get_by_text(f"The rule for {SETTLES} is registered.")).to_be_visible()
    expect(page.get_by_role("cell", name="interquartile range at most 20 pp")).to_be_visible()
    on_a_phone(page, "stopping-rules", problems, table=True)

    # Invitations by e-mail: queued with the action, delivered by the sender outside the request.
    page.get_by_role("navigation", name="This study").get_by_role("link", name="Panel").click()
    page.get_by_role("button", name="E-mail invitations to experts without a link").click()
    expect(page.get_by_text("4 messages are in the outbox.")).to_be_visible()
    page.get_by_role("navigation", name="This study").get_by_role("link", name="Outbox").click()
    expect(page.locator(".lead")).to_contain_text("queued: 4")
    assert empty_site["inbox"].messages == []
    assert "Sent 4, failed 0" in send_mail(app)
    page.reload()
    expect(page.locator(".lead")).to_contain_text("sent: 4")
    on_a_phone(page, "outbox", problems, table=True)
    shot(page, "outbox")
    links = links_by_recipient(empty_site, url)
    assert sorted(links) == sorted(
        ["ada@panel.test", "bo@panel.test", "cy@panel.test", "di@panel.test"]
    )

    # Round 1 opens with a closing time three days ahead, typed in the study's time zone.
    page.get_by_role("navigation", name="This study").get_by_role("link", name="Study").click()
    closes = (datetime.now(ZoneInfo(ZONE)) + timedelta(days=3)).replace(
        hour=17, minute=0, second=0, microsecond=0
    )
    page.get_by_label("Closing time (optional)").fill(closes.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Open round 1").click()
    expect(page.get_by_text("Round 1 is open: experts can answer now.")).to_be_visible()
    rounds = page.locator("ul.rounds")
    expect(rounds).to_contain_text("0 of 4 experts have answered")
    expect(rounds).to_contain_text(
        f"closes {closes:%B} {closes.day}, {closes.year}, 5:00 PM ({ZONE})"
    )

    # The experts follow their e-mailed links; the facilitator watches the answers arrive.
    experts = []
    for n, (address, probabilities) in enumerate(ANSWERS.items(), start=1):
        experts.append(answer_round_1(browser, links[address], probabilities, ids))
        page.reload()
        expect(rounds).to_contain_text(f"{n} of 4 experts {'has' if n == 1 else 'have'} answered")
    on_a_phone(page, "study", problems)
    shot(page, "study")
    page.get_by_role("navigation", name="This study").get_by_role("link", name="Dashboard").click()
    page.wait_for_url(f"**/facilitate/studies/{SLUG}/dashboard")
    response = page.locator("table.response")
    expect(response.get_by_role("row", name=re.compile("Whole panel"))).to_contain_text(
        "3 of 4 (75%)"
    )
    expect(response.get_by_role("row", name=re.compile("Academic"))).to_contain_text("1 of 2 (50%)")
    expect(page.get_by_role("heading", name="1 expert has not answered round 1")).to_be_visible()
    expect(page.locator("ul.pending")).to_contain_text("Di Elm")
    settling = page.locator("table.dashboard").get_by_role("row", name=re.compile(SETTLES))
    expect(settling).to_contain_text("median 35%")
    expect(settling.locator("svg.trend")).to_have_count(1)
    on_a_phone(page, "dashboard", problems, table=True)
    shot(page, "dashboard")
    page.get_by_role("navigation", name="This study").get_by_role("link", name="Panel").click()
    expect(page.get_by_role("row", name=re.compile("Di Elm")).locator(".state")).to_have_text(
        "invited"
    )
    expect(page.get_by_role("row", name=re.compile("Ada Alder")).locator(".state")).to_have_text(
        "submitted"
    )
    on_a_phone(page, "panel", problems, table=True)
    shot(page, "panel")

    # Close round 1 by keyboard, through the confirmation naming the expert still pending.
    page.get_by_role("navigation", name="This study").get_by_role("link", name="Study").click()
    page.get_by_role("button", name="Close round 1").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/facilitate/studies/{SLUG}/rounds/1/close\??$"))
    expect(page.get_by_role("heading", name="1 of 4 experts has not submitted")).to_be_visible()
    expect(page.locator("ul.pending li")).to_have_count(1)
    on_a_phone(page, "close-round", problems)
    shot(page, "close-round")
    page.get_by_role("button", name="Close round 1 now").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/facilitate/studies/{SLUG}")
    expect(rounds).to_contain_text("Round 1: closed")

    # Round 2 without the settled question: the box says how many settled; experts see the rest.
    settled_box = page.get_by_label(
        "Leave out the questions whose stopping rules were all met in the last round"
    )
    expect(page.get_by_text("1 question met all its stopping rules in round 1.")).to_be_visible()
    settled_box.check()
    shot(page, "open-round-2")
    page.get_by_role("button", name="Open round 2").click()
    expect(page.get_by_text("Round 2 is open: experts can answer now.")).to_be_visible()
    expect(
        page.get_by_text("1 question settled by its stopping rules is no longer asked.")
    ).to_be_visible()
    page.get_by_role("navigation", name="This study").get_by_role(
        "link", name="Stopping rules"
    ).click()
    judged = page.get_by_role("region", name="Round 1 judged by the rules").get_by_role(
        "row", name=re.compile(SETTLES)
    )
    expect(judged.get_by_role("rowheader")).to_have_text(f"{SETTLES} settled no longer asked")
    expect(judged.get_by_role("cell")).to_have_text(
        ["interquartile range at most 20 pp", "5 pp", "met"]
    )
    shot(page, "stopping-rules")
    expert_context, expert_page = experts[0]
    expert_page.goto(f"{url}/expert/round")
    expect(expert_page.locator(f"article[data-question='{ids[STAYS]}']")).to_be_visible()
    expect(expert_page.locator(f"article[data-question='{ids[SETTLES]}']")).to_have_count(0)
    for expert_context, _ in experts:
        expert_context.close()

    # Resolve the settled question early, from the resolution page.
    page.get_by_role("navigation", name="This study").get_by_role("link", name="Resolution").click()
    page.wait_for_url(f"**/facilitate/studies/{SLUG}/resolution")
    item = page.locator("details.resolution-item", has=page.get_by_text(f"Question {SETTLES}"))
    item.locator("summary").click()
    item.get_by_label("No: it did not happen").check()
    item.get_by_label("Source").fill("Constitution of Ukraine, zakon.rada.gov.ua")
    shot(page, "resolve", at=item)
    item.get_by_role("button", name=f"Resolve {SETTLES}").click()
    expect(page.get_by_text(f"Question {SETTLES} is resolved.")).to_be_visible()
    resolved = page.get_by_role("table")
    expect(resolved.get_by_role("row")).to_have_count(2)
    expect(resolved).to_contain_text("Constitution of Ukraine, zakon.rada.gov.ua")
    on_a_phone(page, "resolution", problems, table=True)
    shot(page, "resolved", at=resolved)

    # Everything done is in the study's audit trail.
    page.get_by_role("navigation", name="This study").get_by_role(
        "link", name="Audit trail"
    ).click()
    trail = page.locator("main")
    for action in (
        "Created the study",
        "Set a stopping rule",
        "Registered the stopping rules",
        "Settled questions by their stopping rules",
        "Resolved a question",
    ):
        expect(trail).to_contain_text(action)
    on_a_phone(page, "audit", problems, table=True)
    shot(page, "audit")
    context.close()
    assert problems == []
