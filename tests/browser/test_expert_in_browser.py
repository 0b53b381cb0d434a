"""The expert's journey in a real browser: Playwright driving Debian's chromium, axe-core checking.

A live server runs the app on its own fresh database (SQLite or PostgreSQL,
like the rest of the suite) with the bundled question sets (see
``conftest.py``). The test plays one expert through round 1 and round 2,
by keyboard where it matters, while service calls play the rest of the panel
and the facilitator: the slider that shows no value until the expert gives
one, the question index kept up to date as drafts save, the review step with
its error summary, and the panel's feedback. Screenshots of the answer and
feedback pages, at desktop width and at 360 px, are written to
``build/screenshots/``.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import SCREENSHOTS, accent_pixels, fits, next_round, serious_violations

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]'")


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

    # Round 1. An unanswered slider shows no value: no thumb, "no answer yet", an empty box.
    expect(page.get_by_text("0 of 30 answered")).to_be_visible()
    box = page.locator(f"#{binary}-probability")
    slider = page.locator(f"input[data-slider-for='{binary}-probability']")
    expect(slider).to_be_visible()
    expect(slider).to_have_class(re.compile(r"\bunset\b"))
    expect(slider).to_have_attribute("aria-valuetext", "No answer yet")
    expect(box).to_have_value("")
    assert accent_pixels(page, slider) == 0

    # Moved by keyboard it takes a value, which the box shows, and its thumb appears;
    # typing moves it, and a number it cannot show (or none) unsets it again.
    slider.focus()
    page.keyboard.press("ArrowRight")
    expect(box).to_have_value("51")
    expect(slider).not_to_have_class(re.compile(r"\bunset\b"))
    expect(slider).not_to_have_attribute("aria-valuetext", "No answer yet")
    assert accent_pixels(page, slider) > 20
    box.fill("20")
    expect(slider).to_have_value("20")
    box.fill("")
    expect(slider).to_have_attribute("aria-valuetext", "No answer yet")
    box.fill("150")
    expect(slider).to_have_class(re.compile(r"\bunset\b"))
    page.locator(f"#{binary}-rationale").fill("Talks stall without guarantees.")
    for i, value in enumerate(["2", "5", "9"]):
        page.locator(f"#{quantity}-q{i}").fill(value)

    # Progress counts the answers the server would accept, once their drafts are saved; the
    # question index says, in words, where each question stands.
    expect(page.get_by_text("1 of 30 answered")).to_be_visible(timeout=10_000)
    index_entry = page.locator(f"[data-index-for='{live['binary']}']")
    expect(index_entry).to_have_attribute("data-state", "attention")
    expect(index_entry.locator("[data-index-state]")).to_have_text("Draft saved, needs attention")
    expect(page.locator(f"[data-index-for='{live['quantity']}'] [data-index-state]")).to_have_text(
        "Draft saved, not yet submitted"
    )
    index_entry.get_by_role("link").click()
    expect(page.locator(f"article[data-question='{live['binary']}']")).to_be_in_viewport()

    # "Review and submit", by keyboard: the review names the problem first and offers no
    # submit button; its link leads back to the field, focused, with the message beside it.
    page.get_by_role("button", name="Review and submit").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/expert/rounds/1/review")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("150% is outside the allowed range: 1% to 99%")
    expect(page.get_by_role("button", name="Submit round 1")).to_have_count(0)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/expert/round?check=1#*")
    expect(box).to_be_focused()
    expect(page.locator(f"#{binary}-probability-error")).to_contain_text(
        "150% is outside the allowed range: 1% to 99%"
    )
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_value("150")
    expect(page.locator(f"#{quantity}-q2")).to_have_value("9")

    # Correct it; the draft saves itself, and a reload finds it.
    box.fill("35")
    expect(page.locator("#save-status")).to_contain_text("All changes saved", timeout=20_000)
    expect(page.get_by_text("2 of 30 answered")).to_be_visible()
    expect(index_entry).to_have_attribute("data-state", "draft")
    page.goto(f"{live['url']}/expert/round")
    expect(box).to_have_value("35")
    expect(page.locator(f"#{binary}-rationale")).to_have_value("Talks stall without guarantees.")
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "answer-desktop.png"))
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 360, "height": 800})
    assert fits(page)
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "answer-360.png"))
    page.set_viewport_size({"width": 1280, "height": 900})

    # Review what will be recorded, submit (a double click records once), read the receipt.
    page.get_by_role("button", name="Review and submit").click()
    page.wait_for_url("**/expert/rounds/1/review")
    expect(page.locator(f"#review-{live['binary_key']} .review-answer")).to_have_text("35%")
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
    assert fits(page)
    page.screenshot(path=str(SCREENSHOTS / "feedback-360.png"))

    # Focus is visible when moving by keyboard.
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")

    # Revise and submit round 2.
    box.fill("30")
    page.get_by_role("button", name="Review and submit").click()
    page.get_by_role("button", name="Submit round 2").click()
    page.wait_for_url("**/expert/rounds/2/receipt")
    # At 360 px the receipt's rows are stacked, each cell saying what it is.
    expect(page.get_by_role("cell", name="Your answer: 30%", exact=True)).to_be_visible()
    context.close()
    for name in ("answer-desktop", "answer-360", "feedback-desktop", "feedback-360"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000


def test_a_page_left_open_past_its_session_saves_once_the_expert_enters_again(live, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    expect = sync_api.expect
    binary = f"q{live['binary']}"
    page.goto(f"{live['url']}/invite/{live['polish_token']}")
    page.get_by_label("I have read how my answers are used").check()
    page.get_by_role("button", name="Agree and start").click()
    assert page.url.endswith("/expert/round")
    rationale = page.locator(f"#{binary}-rationale")
    rationale.fill("Typed before the session ended.")
    expect(page.locator("#save-status")).to_contain_text("All changes saved", timeout=20_000)

    # The session ends (here: "Leave" in another tab); the typing goes on and is not lost.
    token = page.locator("input[name=csrf_token]").first.input_value()
    context.request.post(f"{live['url']}/expert/leave", form={"csrf_token": token})
    rationale.fill("Typed after the session ended.")
    expect(page.locator("#save-status")).to_contain_text(
        "Open your invitation link again", timeout=10_000
    )
    expect(rationale).to_have_value("Typed after the session ended.")

    # The expert opens their link again in another tab; the old page then saves by itself.
    other = context.new_page()
    other.goto(f"{live['url']}/invite/{live['polish_token']}")
    expect(page.locator("#save-status")).to_contain_text("All changes saved", timeout=25_000)
    other.goto(f"{live['url']}/expert/round")
    expect(other.locator(f"#{binary}-rationale")).to_have_value("Typed after the session ended.")
    context.close()
