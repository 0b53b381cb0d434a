"""The expert's journey in a real browser: Playwright driving Debian's chromium, axe-core checking.

A live server runs the app on its own fresh database (SQLite or PostgreSQL,
like the rest of the suite) with the bundled question sets. The test plays
one expert through round 1 and round 2 while service calls play the rest of
the panel and the facilitator. Screenshots of the answer and feedback pages,
at desktop width and at 360 px, are written to ``build/screenshots/``.

``make browser`` installs what this needs: the ``chromium`` Debian package and
axe-core from the npm registry (``tests/browser/package.json``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import flask_migrate
import pytest
from werkzeug.serving import make_server

from elicit import PROJECT_ROOT
from elicit.extensions import db
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert, issue_invitation
from elicit.rounds.services import close_round, create_round, open_round
from elicit.studies import question_sets
from elicit.studies.models import QuestionKind
from elicit.studies.services import create_study, import_question_sets
from tests import factories
from tests.conftest import fresh_database, make_app

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]'")

CHROMIUM = Path(os.environ.get("ELICIT_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_ROOT / "build" / "screenshots"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """Serve a study with the bundled questions, 4 experts and round 1 open, on a free port."""
    if not CHROMIUM.exists() or not AXE.exists():
        pytest.fail(f"{CHROMIUM} or {AXE} is missing: run `make browser` (make test does)")
    directory = tmp_path_factory.mktemp("browser")
    with fresh_database(directory) as url:
        app = make_app(url, directory / "instance")
        with app.app_context():
            flask_migrate.upgrade()
            owner = factories.user(db.session)
            study = create_study(db.session, slug="browser", title="Browser study", owner=owner)
            sets, sources = question_sets.load(PROJECT_ROOT / "question_sets")
            questions = import_question_sets(db.session, study, sets, sources)
            experts = [
                add_expert(db.session, study, pseudonym=name, name=name, email=f"{name}@x.test")
                for name in ("Alder", "Birch", "Cedar", "Elm")
            ]
            token = issue_invitation(db.session, experts[0])
            first = create_round(db.session, study)
            open_round(db.session, first)
            binary = next(q for q in questions if q.kind is QuestionKind.BINARY)
            quantity = next(q for q in questions if q.kind is QuestionKind.QUANTITY)
            low, high = quantity.lower_bound or 0.0, quantity.upper_bound or 100.0
            for i, expert in enumerate(experts[1:]):
                record_judgment(
                    db.session,
                    expert,
                    binary,
                    first,
                    Answer(probability=0.2 + 0.2 * i, rationale=f"Panel reason {i}."),
                )
                span = (high - low) / 10
                values = [low + span * (1 + i), low + span * (2 + i), low + span * (4 + i)]
                record_judgment(db.session, expert, quantity, first, Answer(quantile_values=values))
            db.session.commit()
            ids = {"study": study.id, "binary": binary.id, "quantity": quantity.id}
            db.session.remove()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield {
                "app": app,
                "url": f"http://127.0.0.1:{server.server_port}",
                "token": token,
                **ids,
            }
        finally:
            server.shutdown()
            thread.join()
            with app.app_context():
                db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, driven by Playwright."""
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


def serious_violations(page) -> list[str]:
    """Run axe-core on ``page``; return its serious and critical violations, described."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run()")
    assert len(results["passes"]) > 10, "axe-core did not run its checks"
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def fits(page, width: int) -> bool:
    """Whether the page needs no horizontal scrolling at ``width`` pixels."""
    return page.evaluate("document.documentElement.scrollWidth") <= width


def next_round(app, study_id: int) -> None:
    """Play the facilitator: close the open round and open the next one."""
    from elicit.rounds.services import open_round_of
    from elicit.studies.models import Study

    with app.app_context():
        study = db.session.get(Study, study_id)
        close_round(db.session, open_round_of(db.session, study))
        open_round(db.session, create_round(db.session, study))
        db.session.commit()
        db.session.remove()


def test_an_expert_answers_two_rounds_in_the_browser(live, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    expect = sync_api.expect
    binary, quantity = f"q{live['binary']}", f"q{live['quantity']}"

    # The link, the welcome page, consent by keyboard.
    page.goto(f"{live['url']}/invite/{live['token']}")
    assert page.url == f"{live['url']}/expert/"
    expect(page.get_by_role("heading", name="Who sees what")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("I have read how my answers are used").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Agree and start").click()
    assert page.url.endswith("/expert/round")

    # Round 1: the slider moves the percent box; one field wrong first. Progress counts
    # the answers the server would accept, once their drafts are saved.
    expect(page.get_by_text("0 of 30 answered")).to_be_visible()
    box = page.locator(f"#{binary}-probability")
    slider = page.locator(f"input[data-slider-for='{binary}-probability']")
    expect(slider).to_be_visible()
    slider.focus()
    page.keyboard.press("ArrowRight")
    expect(box).to_have_value("51")
    box.fill("150")
    page.locator(f"#{binary}-rationale").fill("Talks stall without guarantees.")
    for i, value in enumerate(["2", "5", "9"]):
        page.locator(f"#{quantity}-q{i}").fill(value)
    expect(page.get_by_text("1 of 30 answered")).to_be_visible()
    page.get_by_role("button", name="Submit round 1").click()
    error = page.locator(f"#{binary}-probability-error")
    expect(error).to_contain_text("150% is outside the allowed range: 1% to 99%")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{quantity}-q2")).to_have_value("9")
    expect(page.locator("#problem")).to_be_focused()

    # Correct it; the draft saves itself, and a reload finds it.
    box.fill("35")
    expect(page.locator("#save-status")).to_contain_text("All changes saved", timeout=10_000)
    expect(page.get_by_text("2 of 30 answered")).to_be_visible()
    page.reload()
    expect(box).to_have_value("35")
    expect(page.locator(f"#{binary}-rationale")).to_have_value("Talks stall without guarantees.")
    page.screenshot(path=str(SCREENSHOTS / "answer-desktop.png"))
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 360, "height": 800})
    assert fits(page, 360)
    page.screenshot(path=str(SCREENSHOTS / "answer-360.png"))
    page.set_viewport_size({"width": 1280, "height": 900})

    # Submit (a double click records once) and read the receipt.
    page.get_by_role("button", name="Submit round 1").dblclick()
    page.wait_for_url("**/expert/rounds/1/receipt")
    expect(page.get_by_text("Recorded: 2 answers")).to_be_visible()
    expect(page.get_by_role("cell", name="35%", exact=True)).to_be_visible()

    # The facilitator moves on; round 2 shows the panel, with this expert's answer marked.
    next_round(live["app"], live["study"])
    page.goto(f"{live['url']}/expert/round")
    article = page.locator(f"article[data-question='{live['binary']}']")
    expect(article.locator("svg.chart circle.dot.own")).to_have_count(1)
    expect(article.locator("svg.chart circle.dot")).to_have_count(4)
    expect(article.get_by_text("Your round 1 answer: 35%")).to_be_visible()
    expect(article.locator(".figures-line")).to_contain_text("4 answers")
    article.get_by_text("Reasons the panel gave").click()
    expect(article.get_by_text("Panel reason 1.")).to_be_visible()
    quantity_article = page.locator(f"article[data-question='{live['quantity']}']")
    expect(quantity_article.locator("svg.chart line.range.own")).to_have_count(1)
    article.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "feedback-desktop.png"))
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 360, "height": 800})
    article.scroll_into_view_if_needed()
    assert fits(page, 360)
    page.screenshot(path=str(SCREENSHOTS / "feedback-360.png"))

    # Focus is visible when moving by keyboard.
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")

    # Revise and submit round 2.
    box.fill("30")
    page.get_by_role("button", name="Submit round 2").click()
    page.wait_for_url("**/expert/rounds/2/receipt")
    expect(page.get_by_role("cell", name="30%", exact=True)).to_be_visible()
    context.close()
    for name in ("answer-desktop", "answer-360", "feedback-desktop", "feedback-360"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000
