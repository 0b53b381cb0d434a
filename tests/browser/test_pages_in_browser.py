"""Every kind of page on a 360 px phone: no sideways scrolling, axe-core clean, labelled tables.

One test walks the facilitator's pages (each page of a study, a panel file's
check, the close confirmation, a question's page, the analysing pages, the
import page and its list of a file's problems, the admins' staff page) and
the expert's, one the expert's in Polish (longer words, the language buttons,
the answer page's script), one the consent page's error summary. Each page is
checked at 360 px: the document is no wider than the viewport, and axe-core
finds no serious or critical violation; tables (receipt, record, study list,
study page, panel, panel file, outbox, audit trail, sharing, staff, the
analysis list, a study's analysis overview, pooled forecasts and an import's
problems) are checked at 640 px, where their rows are stacked, for a label on
every cell.
Screenshots of the main pages at 360 and 1280 px go to ``build/screenshots/``
(``NAME-360.png``, ``NAME-desktop.png``).
"""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.browser.conftest import SCREENSHOTS, UNLABELLED_CELLS, fits, serious_violations

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]'")

PHONE = {"width": 360, "height": 800}
PANEL_FILE = "name,email,group\nNew Person,new@x.test,Academic\nNo Address,not-an-address,\n"
"""A panel file with one good row and one bad one, for the file's check page."""
DESKTOP = {"width": 1280, "height": 900}
BAD_JUDGMENTS = (
    "question_id,expert_id,round,element,value\n"
    "a-question-with-a-long-key,E1,1,p,high\n"
    "a-question-with-a-long-key,E2,1,p,1.5\n"
)
"""A long CSV whose two rows are bad, for the import page's list of problems."""


def check(page, name: str, problems: list[str], *, shots: bool = True, table: bool = False):
    """Check the page at 360 px (and its tables at 640 px); add what is wrong to ``problems``.

    With ``shots``, screenshot it at 360 and 1280 px. Leaves the page at 360 px.
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
    if shots:
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-360.png"))
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"))
    page.set_viewport_size(PHONE)


def test_every_page_fits_a_phone_and_passes_axe(live, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    expect = sync_api.expect
    url, problems = live["url"], []

    # The facilitator's pages.
    page.goto(f"{url}/login")
    check(page, "login", problems)
    email, password = live["login"]
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/facilitate/")
    check(page, "studies", problems, table=True)
    page.get_by_role("link", name="Browser study").click()
    page.wait_for_url("**/facilitate/studies/browser")
    check(page, "study", problems, table=True)
    page.get_by_label("Minimum number of answers").fill("0")
    page.get_by_role("button", name="Save feedback settings").click()
    expect(page.locator("#error-summary")).to_be_focused()
    check(page, "study-settings-refused", problems, shots=False)
    page.goto(f"{url}/facilitate/studies/browser/rounds/1/rationales")
    expect(page.get_by_text("Panel reason 1.")).to_be_visible()
    check(page, "rationales", problems)

    # The rest of the console: each page of the study, a panel file's check, the close
    # confirmation (a GET, which changes nothing) and a question's page.
    page.goto(f"{url}/facilitate/studies/new")
    check(page, "new-study", problems, shots=False)
    page.goto(f"{url}/facilitate/studies/browser/panel")
    page.get_by_role("button", name="E-mail invitations to experts without a link").click()
    expect(page.get_by_text("2 messages are in the outbox.")).to_be_visible()
    check(page, "panel", problems, shots=False, table=True)
    page.get_by_label("Panel file").set_input_files(
        {"name": "panel.csv", "mimeType": "text/csv", "buffer": PANEL_FILE.encode()}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("Rows that can be added: 1. Rows that cannot: 1.")).to_be_visible()
    check(page, "panel-preview", problems, shots=False, table=True)
    for path, name, table in [
        ("outbox", "outbox", True),
        ("stopping-rules", "stopping-rules", False),
        ("resolution", "resolution", False),
        ("audit", "audit", True),
        ("sharing", "sharing", True),
        ("rounds/1/close", "close-round", False),
        (f"questions/{live['binary_key']}", "question", False),
    ]:
        page.goto(f"{url}/facilitate/studies/browser/{path}")
        expect(page.locator("h1")).to_be_visible()
        check(page, name, problems, shots=False, table=table)
    page.goto(f"{url}/analyse/studies/browser/pools")
    expect(page.get_by_role("heading", name="Pooled forecasts")).to_be_visible()
    check(page, "pools", problems, shots=False, table=True)
    for path, heading, name, table in [
        ("", "Analysis", "analyse", True),
        ("studies/browser", "Browser study", "analyse-study", True),
        ("studies/browser/calibration", "Calibration and back-test", "calibration", False),
        ("studies/browser/track-record", "Track records and weighting", "track-record", False),
    ]:
        page.goto(f"{url}/analyse/{path}")
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        check(page, name, problems, shots=False, table=table)
    # The import page, empty and then with a file's every bad line listed.
    page.goto(f"{url}/analyse/import")
    expect(page.get_by_role("heading", name="Import a study", exact=True)).to_be_visible()
    check(page, "import", problems, shots=False)
    page.get_by_label("Long CSV", exact=False).first.check()
    page.get_by_label("Judgments (CSV)").set_input_files(
        {"name": "judgments.csv", "mimeType": "text/csv", "buffer": BAD_JUDGMENTS.encode()}
    )
    page.get_by_label("Short name of the new study").fill("imported")
    page.get_by_role("button", name="Check the files").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.get_by_text("The files have 2 problems; nothing was saved.")).to_be_visible()
    check(page, "import-refused", problems, shots=False, table=True)
    page.get_by_role("button", name="Log out").click()

    # The admins' staff page.
    page.goto(f"{url}/login")
    email, password = live["admin_login"]
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/facilitate/")
    page.goto(f"{url}/facilitate/staff")
    expect(page.get_by_text("admin@example.org").first).to_be_visible()
    check(page, "staff", problems, shots=False, table=True)
    # Two-factor login: set up, moved to a new app (password and current code asked), off.
    page.goto(f"{url}/login/two-factor")
    check(page, "two-factor", problems, shots=False)
    first = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(first).now())
    page.get_by_role("button", name="Turn on two-factor login").click()
    page.wait_for_url("**/facilitate/")
    page.goto(f"{url}/login/two-factor")
    page.get_by_label("Code from the new app").fill("000000")
    page.get_by_role("button", name="Move to the new app").click()
    expect(page.locator("#error-summary")).to_be_focused()
    check(page, "two-factor-move-refused", problems, shots=False)
    page.get_by_role("link", name="Turn off two-factor login").click()
    expect(page.get_by_role("heading", name="Turn off two-factor login")).to_be_visible()
    page.get_by_label("Your password").fill(password)
    totp = pyotp.TOTP(first)
    page.get_by_label("Code from the app you use now").fill(
        totp.at(totp.timecode(time.time()) * 30 + 30)
    )
    check(page, "two-factor-off", problems, shots=False)
    page.get_by_role("button", name="Turn off two-factor login").click()
    expect(page.get_by_text("Two-factor login is off")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # Pages for anyone: a link that opens nothing, a missing page, an ended session.
    page.goto(f"{url}/invite/{'x' * 43}")
    check(page, "invalid-link", problems, shots=False)
    page.goto(f"{url}/no/such/page")
    expect(page.get_by_text("Something went wrong (404)")).to_be_visible()
    check(page, "error-404", problems, shots=False)
    page.goto(f"{url}/expert/round")
    expect(page.get_by_role("heading", name="Your session has ended")).to_be_visible()
    check(page, "session-ended", problems, shots=False)

    # The expert's pages: welcome, questions, review, receipt, record, guide.
    page.goto(f"{url}/invite/{live['token']}")
    check(page, "welcome", problems)
    page.get_by_label("I have read how my answers are used").check()
    page.get_by_role("button", name="Agree and start").click()
    page.wait_for_url("**/expert/round")
    check(page, "questions", problems)
    page.locator(f"#q{live['binary']}-probability").fill("35")
    page.get_by_role("button", name="Review and submit").click()
    page.wait_for_url("**/expert/rounds/1/review")
    check(page, "review", problems)
    page.get_by_role("button", name="Submit round 1").click()
    page.wait_for_url("**/expert/rounds/1/receipt")
    check(page, "receipt", problems, table=True)
    page.goto(f"{url}/expert/record")
    check(page, "record", problems, table=True)
    page.goto(f"{url}/expert/guide")
    check(page, "guide", problems, shots=False)
    context.close()
    assert problems == []


def test_the_consent_error_summary_is_focused_and_in_view_on_a_phone(live, browser):
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    expect = sync_api.expect
    page.goto(f"{live['url']}/invite/{live['quiet_token']}")
    page.get_by_role("button", name="Agree and start").click()
    page.wait_for_url("**/expert/consent")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    top, bottom = page.evaluate(
        "(() => { const r = document.activeElement.getBoundingClientRect();"
        " return [r.top, r.bottom]; })()"
    )
    assert 0 <= top < bottom <= PHONE["height"]
    expect(summary.get_by_role("link")).to_have_text("Tick the box to agree before you continue.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    agree = page.get_by_label("I have read how my answers are used")
    expect(agree).to_be_focused()
    expect(agree).to_be_in_viewport()
    page.screenshot(path=str(SCREENSHOTS / "consent-refused-360.png"))
    page.keyboard.press("Space")
    page.get_by_role("button", name="Agree and start").click()
    expect(page.get_by_text("No round is open at the moment.")).to_be_visible()
    problems: list[str] = []
    check(page, "no-round", problems, shots=False)
    context.close()
    assert problems == []


def test_an_expert_answers_in_polish_on_a_phone(live, browser):
    """Polish from the browser's language; switching languages by keyboard; the script speaks it."""
    context = browser.new_context(viewport=PHONE, bypass_csp=True, locale="pl-PL")
    page = context.new_page()
    expect = sync_api.expect
    problems: list[str] = []
    page.goto(f"{live['url']}/invite/{live['polish_token']}")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_role("heading", name="Kto co widzi")).to_be_visible()
    check(page, "welcome-pl", problems)

    page.get_by_role("button", name="English").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Who sees what")).to_be_visible()
    page.get_by_role("button", name="Polski").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Kto co widzi")).to_be_visible()

    page.get_by_label("Przeczytałem(-am), jak moje odpowiedzi").check()
    page.get_by_role("button", name="Zgadzam się i zaczynam").click()
    page.wait_for_url("**/expert/round")
    box = page.locator(f"#q{live['binary']}-probability")
    box.fill("")
    box.press_sequentially("40")
    expect(page.locator("#save-status")).to_contain_text("Wszystkie zmiany zapisano jako szkice")
    check(page, "questions-pl", problems)
    page.get_by_role("button", name="Przejrzyj i prześlij").click()
    page.wait_for_url("**/expert/rounds/1/review")
    check(page, "review-pl", problems, shots=False)
    page.get_by_role("button", name="Prześlij rundę 1").click()
    page.wait_for_url("**/expert/rounds/1/receipt")
    expect(page.get_by_text("Zapisano: 2 odpowiedzi.")).to_be_visible()
    check(page, "receipt-pl", problems, table=True)
    page.goto(f"{live['url']}/expert/record")
    check(page, "record-pl", problems, table=True, shots=False)
    context.close()
    assert problems == []
