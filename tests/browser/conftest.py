"""What the browser tests share: a live server on its own database, chromium, axe-core.

Each test module gets its own server and database (``live``), with the
bundled question sets imported into a study whose round 1 is open, four
experts (three have answered two questions, with reasons; the first two
have invitation links), the facilitator
who owns it, an admin, and a second study without rounds (for the "no round open"
page). ``make browser`` installs what this needs: the ``chromium`` Debian
package and axe-core from the npm registry (``tests/browser/package.json``).
"""

from __future__ import annotations

import base64
import os
import threading
from pathlib import Path

import flask_migrate
import pytest
from werkzeug.serving import make_server

from elicit import PROJECT_ROOT
from elicit.accounts.models import Role
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

CHROMIUM = Path(os.environ.get("ELICIT_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_ROOT / "build" / "screenshots"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """Serve the study described in the module docstring on a free port."""
    if not CHROMIUM.exists() or not AXE.exists():
        pytest.fail(f"{CHROMIUM} or {AXE} is missing: run `make browser` (make test does)")
    directory = tmp_path_factory.mktemp("browser")
    with fresh_database(directory) as url:
        app = make_app(url, directory / "instance")
        with app.app_context():
            flask_migrate.upgrade()
            owner = factories.user(db.session)
            admin = factories.user(
                db.session, email="admin@example.org", role=Role.ADMIN, name="Ada Admin"
            )
            study = create_study(db.session, slug="browser", title="Browser study", owner=owner)
            sets, sources = question_sets.load(PROJECT_ROOT / "question_sets")
            questions = import_question_sets(db.session, study, sets, sources)
            experts = [
                add_expert(db.session, study, pseudonym=name, name=name, email=f"{name}@x.test")
                for name in ("Alder", "Birch", "Cedar", "Elm")
            ]
            token = issue_invitation(db.session, experts[0])
            polish_token = issue_invitation(db.session, experts[1])
            quiet = create_study(
                db.session, slug="quiet", title="A study between rounds", owner=owner
            )
            waiting = add_expert(db.session, quiet, pseudonym="Fir", name="Fir", email="f@x.test")
            quiet_token = issue_invitation(db.session, waiting)
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
            ids = {
                "study": study.id,
                "binary": binary.id,
                "binary_key": binary.key,
                "quantity": quantity.id,
                "login": (owner.email, factories.PASSWORD),
                "admin_login": (admin.email, factories.PASSWORD),
            }
            db.session.remove()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield {
                "app": app,
                "url": f"http://127.0.0.1:{server.server_port}",
                "token": token,
                "quiet_token": quiet_token,
                "polish_token": polish_token,
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
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]'")
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


def fits(page) -> bool:
    """Whether the page needs no sideways scrolling at the viewport's width."""
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


UNLABELLED_CELLS = """() => [...document.querySelectorAll("table.stack td")].filter((cell) => {
    if (getComputedStyle(cell).display === "none") { return false; }
    const own = cell.querySelector(".round-label");
    if (own) { return getComputedStyle(own).display === "none"; }
    const label = cell.dataset.label;
    return !label || !getComputedStyle(cell, "::before").content.includes(label);
}).map((cell) => cell.textContent.trim().slice(0, 40))"""
"""Cells of stacked tables that do not say what they are (a data-label shown before them, or a
label of their own such as the study page's "Round 1:"); an empty cell is hidden, so needs none."""


ACCENT = (11, 92, 173)
"""The colour of a slider's thumb (``--accent`` in elicit.css)."""


def accent_pixels(page, locator) -> int:
    """Count the pixels of ``locator``'s screenshot in the accent colour (a slider's thumb).

    The screenshot is read back in the page itself (a canvas), so no image
    library is needed.
    """
    png = base64.b64encode(locator.screenshot()).decode()
    return page.evaluate(
        """async ([png, accent]) => {
            const image = new Image();
            image.src = "data:image/png;base64," + png;
            await image.decode();
            const canvas = document.createElement("canvas");
            canvas.width = image.width;
            canvas.height = image.height;
            const context = canvas.getContext("2d");
            context.drawImage(image, 0, 0);
            const data = context.getImageData(0, 0, image.width, image.height).data;
            let count = 0;
            for (let i = 0; i < data.length; i += 4) {
                if ([0, 1, 2].every((c) => Math.abs(data[i + c] - accent[c]) < 30)) { count++; }
            }
            return count;
        }""",
        [png, list(ACCENT)],
    )


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
