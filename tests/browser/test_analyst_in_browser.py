"""The analyst's journey in a real browser, from ``elicit demo`` to a calibration report and a ZIP.

The server starts on an empty database; ``elicit demo`` (what ``make run``
runs) builds the demo study, imports the repliCATS pilot and the TU Delft
tobacco study with their published outcomes, and prints the demo analyst's
login. In the browser the analyst logs in with it (by keyboard), opens
*Analysis*, chooses the repliCATS study (by keyboard), reads its pooled
forecasts, then its calibration report: the back-test's best method shows the
Brier score the analysis service computes (through :mod:`elicit.formatting`),
and every plot loads (an ``img`` with a width; its SVG URL answers
``image/svg+xml``). The analyst downloads the study's ZIP, whose manifest gives
the SHA-256 of the ``judgments.csv`` beside it, and opens the track record.

Each analysing page (the list, a study's overview, pooled forecasts,
calibration for the repliCATS and the tobacco study, track record) is checked
at 360 px (no sideways scrolling, axe-core finds nothing serious; its tables'
cells labelled at 640 px), and screenshots at 1280 px go to
``build/screenshots/`` as ``analyst-NAME.png`` (the README shows some of them).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import zipfile

import flask_migrate
import pytest
from werkzeug.serving import make_server

from elicit import formatting
from elicit.analysis.exports import JUDGMENT_COLUMNS
from elicit.extensions import db
from elicit.studies.services import find_study
from tests.browser.conftest import SCREENSHOTS, UNLABELLED_CELLS, fits, serious_violations
from tests.conftest import ElicitCliRunner, fresh_database, make_app

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]'")

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 800}
REPLICATS = "replicats-pilot"
TOBACCO = "tudelft-tobacco"
ANALYST = "analyst@elicit.example"


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """Serve an empty database filled by ``elicit demo``; yield the app, its address and output."""
    directory = tmp_path_factory.mktemp("analyst")
    with fresh_database(directory) as url:
        app = make_app(url, directory / "instance", REDIS_URL=None)
        with app.app_context():
            flask_migrate.upgrade()
            db.session.remove()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
        result = ElicitCliRunner(app).invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield {"app": app, "url": app.config["BASE_URL"], "printed": result.output}
        finally:
            server.shutdown()
            thread.join()
            with app.app_context():
                db.engine.dispose()


def shot(page, name: str, at=None) -> None:  # noqa: ANN001
    """Save a screenshot of ``page`` at 1280 px as ``analyst-NAME.png``, ``at`` at its top."""
    page.set_viewport_size(DESKTOP)
    if at is not None:
        at.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(SCREENSHOTS / f"analyst-{name}.png"))


def on_a_phone(page, name: str, problems: list[str]) -> None:
    """Check ``page`` at 360 px (no sideways scrolling, no serious axe finding), then at 1280 px.

    Every analysing page has tables: at 640 px, where they are stacked, every cell must say
    what it is. A screenshot at 360 px goes to ``analyst-NAME-360.png``.
    """
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SCREENSHOTS / f"analyst-{name}-360.png"))
    if not fits(page):
        wide = page.evaluate("document.documentElement.scrollWidth")
        problems.append(f"{name}: {wide} px wide, so it scrolls sideways at 360 px")
    problems += [f"{name}: {violation}" for violation in serious_violations(page)]
    page.set_viewport_size({"width": 640, "height": 800})
    unlabelled = page.evaluate(UNLABELLED_CELLS)
    if unlabelled or not page.locator("table.stack td").count():
        problems.append(f"{name}: cells without a label at 640 px: {unlabelled}")
    page.set_viewport_size(DESKTOP)


def printed_login(printed: str) -> tuple[str, str]:
    """Return the analyst's e-mail address and password as ``elicit demo`` printed them."""
    match = re.search(
        r"Analyst login.*\n\s+e-mail:\s+(\S+)\n\s+password:\s+(\S+)", printed, re.MULTILINE
    )
    assert match, printed
    return match.group(1), match.group(2)


def best_method(app) -> tuple[str, str]:
    """Return the back-test's best method on the repliCATS study and its Brier score, as shown.

    Computed by the analysis service the page calls, shown through elicit.formatting.
    """
    from elicit.analysis import calibration

    with app.test_request_context():
        study = find_study(db.session, REPLICATS)
        best = calibration.for_study(db.session, study).scores.method_rows()[0]
        shown = formatting.score(best["brier"])
        db.session.remove()
    return best["method"], shown


def tab_to(page, name: str, limit: int = 60) -> None:
    """Press Tab until the link or button called ``name`` has the focus (fail after ``limit``)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == name:
            return
    pytest.fail(f"{limit} presses of Tab never reached {name!r}")


def test_an_analyst_goes_from_the_demo_login_to_a_calibration_report_and_a_zip(demo_site, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    app, url = demo_site["app"], demo_site["url"]
    email, password = printed_login(demo_site["printed"])
    assert email == ANALYST
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    expect = sync_api.expect
    problems: list[str] = []

    # Log in with the printed login, by keyboard (Enter in the password field sends the form).
    page.goto(f"{url}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/facilitate/")

    # Analysis lists the two studies shared with the analyst, with their resolved questions.
    page.get_by_role("link", name="Analysis", exact=True).click()
    page.wait_for_url("**/analyse/")
    studies = page.locator("table.stack tbody tr")
    expect(studies).to_have_count(2)
    replicats = studies.filter(has_text="repliCATS pilot")
    expect(replicats.locator("td")).to_have_text(["25", "25", "25"])
    on_a_phone(page, "index", problems)
    shot(page, "index")

    # The repliCATS study, chosen by keyboard: its rounds, outcomes and sections.
    title = "repliCATS pilot: will published research claims replicate?"
    tab_to(page, title)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/analyse/studies/{REPLICATS}")
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Round 2:")
    on_a_phone(page, "study", problems)
    shot(page, "study")

    # Its pooled forecasts, round by round.
    page.get_by_role("link", name="Pooled forecasts").click()
    page.wait_for_url(f"**/analyse/studies/{REPLICATS}/pools")
    expect(page.get_by_role("heading", name="Pooled forecasts")).to_be_visible()
    expect(page.locator("main h2")).to_have_count(25)
    on_a_phone(page, "pools", problems)
    shot(page, "pools")
    page.go_back()

    # The calibration report, reached by keyboard: the best method's Brier score is the
    # service's, and every plot loads.
    tab_to(page, "Calibration and back-test")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/analyse/studies/{REPLICATS}/calibration")
    method, brier = best_method(app)
    best = page.locator(f"#backtest tr[data-method='{method}']")
    expect(best.locator("td").first).to_have_text("1")
    expect(best.locator("td[data-value='brier']")).to_have_text(brier)
    expect(page.locator("#experts tbody tr")).to_have_count(25)
    images = page.locator("figure.plot img")
    sources = [images.nth(i).get_attribute("src") for i in range(images.count())]
    assert [source.rsplit("/", 1)[1] for source in sources] == [
        "answers.svg",
        "convergence.svg",
        "reliability.svg",
        "backtest.svg",
    ]
    for i in range(images.count()):
        image = images.nth(i)
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0, image.get_attribute("src")
        answer = page.request.get(url + image.get_attribute("src"))
        assert answer.ok, image.get_attribute("src")
        assert answer.headers["content-type"].startswith("image/svg+xml")
        assert answer.text().lstrip().startswith("<?xml")
    on_a_phone(page, "calibration", problems)
    shot(page, "calibration", at=page.locator("h2", has_text="which pooling method"))
    shot(page, "reliability", at=images.nth(2))
    shot(page, "backtest-plot", at=images.nth(3))

    # The whole study as a ZIP: the manifest's hash is that of the judgments beside it.
    page.get_by_role("link", name=title).click()
    page.wait_for_url(f"**/analyse/studies/{REPLICATS}")
    with page.expect_download() as download:
        page.get_by_role("link", name="the whole study (ZIP)").click()
    saved = download.value.path()
    assert download.value.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(saved) as archive:
        names = set(archive.namelist())
        assert {"manifest.json", "judgments.csv"} <= names
        manifest = json.loads(archive.read("manifest.json"))
        judgments = archive.read("judgments.csv")
    digest = hashlib.sha256(judgments).hexdigest()
    listed = {entry["name"]: entry["sha256"] for entry in manifest["files"]}
    assert listed["judgments.csv"] == digest
    assert manifest["judgment_data"]["sha256"] == digest
    lines = judgments.decode().splitlines()
    assert lines[0] == ",".join(JUDGMENT_COLUMNS)
    assert len(lines) > 25 * 25

    # The track record, and the tobacco study's calibration (Cooke's model, quantity plots).
    page.get_by_role("link", name="Track records and weighting").click()
    page.wait_for_url(f"**/analyse/studies/{REPLICATS}/track-record")
    expect(page.get_by_role("heading", name="Track records and weighting")).to_be_visible()
    on_a_phone(page, "track-record", problems)
    shot(page, "track-record")
    page.goto(f"{url}/analyse/studies/{TOBACCO}/calibration")
    expect(page.locator("#cooke tbody tr")).to_have_count(8)
    on_a_phone(page, "cooke", problems)
    shot(page, "cooke", at=page.get_by_role("heading", name="Cooke's classical model"))
    cooke_plot = page.locator("figure.plot img[src$='/plots/cooke.svg']")
    expect(cooke_plot).to_have_count(1)
    assert cooke_plot.evaluate("img => img.naturalWidth") > 0
    shot(page, "cooke-plot", at=cooke_plot)
    context.close()
    assert problems == []
