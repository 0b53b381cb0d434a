"""The import page: existing studies in from the browser, checked first, saved on confirmation."""

from __future__ import annotations

import html
import io
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from elicit import PROJECT_ROOT
from elicit.accounts.models import Role, StudyMember, StudyRole
from elicit.audit import AuditEvent
from elicit.imports import staging
from elicit.judgments.models import Judgment
from elicit.studies.models import Study
from tests import factories
from tests import test_expert_journey as journey
from tests import test_staff_messages as staff
from tests.conftest import csrf_token, login
from tests.test_refusals import snapshot

DATA = PROJECT_ROOT / "elicit" / "demo" / "data"
REPLICATS = DATA / "replicats"
TOBACCO = DATA / "tudelft" / "tobacco.dtt"
PAGE = "/analyse/import"

panel = journey.panel
markers = staff.markers
marking = staff.marking


@pytest.fixture
def facilitator(session, client):
    user = factories.user(session, email="fac@example.org")
    login(client, "fac@example.org", factories.PASSWORD)
    return user


@pytest.fixture
def analyst(session, client):
    factories.user(session, email="owner@example.org")
    user = factories.user(session, email="ana@example.org", role=Role.ANALYST)
    login(client, "ana@example.org", factories.PASSWORD)
    return user


def upload(client, path: Path | None = None, name: str | None = None, data: bytes | None = None):
    """An uploaded file, as the test client sends one."""
    content = data if data is not None else path.read_bytes()
    return (io.BytesIO(content), name or path.name)


def check(client, layout: str, files: dict, slug="imported", **fields):
    """Send the import form: the files of ``layout`` by role, and the other fields."""
    token = csrf_token(client.get(PAGE).text)
    data = {"csrf_token": token, "layout": layout, "slug": slug, **fields}
    data.update({f"{layout}_{role}": file for role, file in files.items()})
    return client.post(PAGE, data=data, content_type="multipart/form-data")


def confirm(client, page):
    """Confirm a clean check, as its button does."""
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page.text).group(1)
    return client.post(
        f"{PAGE}/confirm", data={"csrf_token": csrf_token(page.text), "token": token}
    )


def find(session, slug):
    session.expire_all()
    return session.scalar(sa.select(Study).where(Study.slug == slug))


def test_the_workspace_links_to_the_import_page(client, facilitator):
    for listing in ("/analyse/", "/facilitate/"):
        assert f'href="{PAGE}"' in client.get(listing).text, listing
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Import a study" in page.text and 'enctype="multipart/form-data"' in page.text


def test_replicats_is_checked_then_imported_with_its_votes(client, session, facilitator):
    files = {
        "ratings": upload(client, REPLICATS / "data_ratings.csv"),
        "justifications": upload(client, REPLICATS / "data_justifications.csv"),
        "outcomes": upload(client, REPLICATS / "data_outcomes.csv"),
    }
    before = snapshot(session)
    page = check(client, "replicats", files, slug="pilot", title="The repliCATS pilot")
    assert page.status_code == 200, page.text
    assert "25 experts, 25 questions, 1,250 judgments, 25 resolutions." in page.text
    assert "Rationale parts with votes: 12" in page.text
    assert "Import as pilot" in page.text
    assert snapshot(session) == before  # the check saves nothing
    done = confirm(client, page)
    assert done.status_code == 302 and done.headers["Location"].endswith("/analyse/studies/pilot")
    study = find(session, "pilot")
    assert study.title == "The repliCATS pilot" and study.owner_id == facilitator.id
    assert len(study.experts) == 25 and len(study.rounds) == 2
    voted = session.scalars(
        sa.select(Judgment).where(
            Judgment.question.has(study_id=study.id), Judgment.rationale_votes.is_not(None)
        )
    ).all()
    assert sum(len(j.rationale_votes) for j in voted) == 12
    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "study.import"))
    assert event.actor_id == facilitator.id and event.details["rationale_votes"] == 12
    overview = client.get(done.headers["Location"])
    assert "Imported The repliCATS pilot: 25 experts, 25 questions" in overview.text
    rationales = client.get("/facilitate/studies/pilot/rounds/1/rationales").text
    assert rationales.count("vote from the panel, total 1") == 12
    assert "comprehension: 1 vote from the panel, total 1" in rationales
    # Confirmed once, the files are gone: a second confirmation imports nothing.
    again = confirm(client, page)
    assert again.status_code == 302 and again.headers["Location"].endswith(PAGE)
    assert "no longer kept" in client.get(PAGE).text


def test_excalibur_is_imported(client, session, facilitator):
    files = {
        "dtt": upload(client, TOBACCO),
        "rls": upload(client, TOBACCO.with_suffix(".rls")),
    }
    page = check(client, "excalibur", files, slug="tobacco")
    assert page.status_code == 200, page.text
    assert "7 experts, 21 questions, 147 judgments, 0 resolutions." in page.text
    assert "Calibration questions with their known answers: 10" in page.text
    assert confirm(client, page).status_code == 302
    study = find(session, "tobacco")
    assert sum(q.calibration for q in study.questions) == 10
    assert study.title == "tobacco"


def test_long_csv_is_imported_in_percent(client, session, facilitator):
    judgments = (
        b"question_id,expert_id,round,element,value\n"
        b"nato-2027,E01,1,p,35\n"
        b"nato-2027,E02,1,p,50\n"
        b"nato-2027,E01,2,p,30\n"
    )
    outcomes = b"question_id,outcome\nnato-2027,no\n"
    files = {
        "judgments": upload(client, name="answers.csv", data=judgments),
        "outcomes": upload(client, name="outcomes.csv", data=outcomes),
    }
    page = check(client, "long", files, slug="nato", long_percent="y")
    assert page.status_code == 200, page.text
    assert "2 experts, 1 questions, 3 judgments, 1 resolutions." in page.text
    assert confirm(client, page).status_code == 302
    study = find(session, "nato")
    probabilities = sorted(
        j.probability
        for j in session.scalars(
            sa.select(Judgment).where(Judgment.question.has(study_id=study.id))
        )
    )
    assert probabilities == [0.3, 0.35, 0.5]
    assert study.questions[0].resolution.outcome.value == "no"


def test_bad_replicats_files_list_every_bad_line_and_save_nothing(
    client, session, facilitator, tmp_path
):
    lines = (REPLICATS / "data_ratings.csv").read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if ",three_point_best," in line)
    lines[first] = lines[first].replace(",40.0,", ",forty,")
    second = next(i for i, line in enumerate(lines) if ",three_point_upper," in line)
    lines[second] = lines[second].replace("round_1", "round_one")
    ratings = "\n".join(lines).encode() + b"\n"
    justifications = (REPLICATS / "data_justifications.csv").read_bytes()
    stranger = justifications.count(b"\n") + 1
    justifications += b"round_1,100,stranger,direct_replication,hello,x,0.0,0.0,UOM1\n"
    outcomes = (REPLICATS / "data_outcomes.csv").read_bytes() + b"999,1.0\n"
    before = snapshot(session)
    page = check(
        client,
        "replicats",
        {
            "ratings": upload(client, name="data_ratings.csv", data=ratings),
            "justifications": upload(client, name="data_justifications.csv", data=justifications),
            "outcomes": upload(client, name="data_outcomes.csv", data=outcomes),
        },
        slug="pilot",
    )
    assert page.status_code == 400
    text = page.text
    assert 'id="error-summary"' in text and "Error: Import a study" in text
    # The two bad ratings, the judgment left without a best estimate, the two strangers.
    assert "The files have 5 problems; nothing was saved." in text
    rows = re.findall(
        r"<tr><td data-label=\"File\">([^<]*)</td><td data-label=\"Line\">(\d*)</td>"
        r"<td data-label=\"Problem\">([^<]*)</td></tr>",
        text,
    )
    assert ("data_ratings.csv", str(first + 1), "value &#39;forty&#39; is not a number") in rows
    assert ("data_ratings.csv", str(second + 1)) in [r[:2] for r in rows]
    assert ("data_justifications.csv", str(stranger)) in [r[:2] for r in rows]
    assert ("data_outcomes.csv", "27", "claim &#39;999&#39; has no ratings") in rows
    # Beside each file, how many of the problems are in it; the typed short name is kept.
    assert re.search(r'id="replicats_ratings-error">3 problems in data_ratings.csv', text)
    assert re.search(r'id="replicats_outcomes-error">1 problem in data_outcomes.csv', text)
    assert 'value="pilot"' in text
    assert "token" not in re.sub(r"csrf_token", "", text)
    assert snapshot(session) == before
    assert find(session, "pilot") is None


def test_missing_files_taken_names_and_files_not_in_utf8_are_refused_beside_the_field(
    client, session, facilitator
):
    factories.study(session, owner=facilitator, slug="taken")
    page = check(client, "excalibur", {"dtt": upload(client, TOBACCO)}, slug="taken")
    assert page.status_code == 400
    assert re.search(r'id="excalibur_rls-error">Choose the .rls file', page.text)
    assert re.search(r'id="slug-error">A study with this short name exists', page.text)
    latin = "question_id,expert_id,round,element,value\nq,Fr\xe9d,1,p,0.3\n".encode("latin-1")
    page = check(client, "long", {"judgments": upload(client, name="j.csv", data=latin)})
    assert page.status_code == 400
    assert re.search(r'id="long_judgments-error">This file is not UTF-8 text \(line 2', page.text)
    page = check(client, "", {}, slug="Bad Name")
    assert page.status_code == 400
    assert "Choose the layout of the files." in page.text
    assert re.search(r'id="slug-error">Enter a short name', page.text)


def test_files_over_the_limit_are_refused_with_a_message(client, app, facilitator):
    limit = app.config["MAX_CONTENT_LENGTH"]
    big = upload(client, name="data_ratings.csv", data=b"x" * (limit + 1))
    page = check(client, "replicats", {"ratings": big})
    assert page.status_code == 413
    assert "The files are larger than 4 MB together" in page.text
    assert 'id="error-summary"' in page.text


def test_an_analyst_imports_for_a_facilitator_and_gets_the_study_shared(client, session, analyst):
    files = {"dtt": upload(client, TOBACCO), "rls": upload(client, TOBACCO.with_suffix(".rls"))}
    page = check(client, "excalibur", files, slug="tobacco")
    assert page.status_code == 400
    assert re.search(r'id="owner-error">Enter the e-mail address of the facilitator', page.text)
    files = {"dtt": upload(client, TOBACCO), "rls": upload(client, TOBACCO.with_suffix(".rls"))}
    page = check(client, "excalibur", files, slug="tobacco", owner="ana@example.org")
    assert re.search(r'id="owner-error">No active facilitator or administrator', page.text)
    files = {"dtt": upload(client, TOBACCO), "rls": upload(client, TOBACCO.with_suffix(".rls"))}
    page = check(client, "excalibur", files, slug="tobacco", owner="owner@example.org")
    assert page.status_code == 200, page.text
    assert confirm(client, page).status_code == 302
    study = find(session, "tobacco")
    assert study.owner.email == "owner@example.org"
    member = session.scalar(sa.select(StudyMember).where(StudyMember.study_id == study.id))
    assert (member.user_id, member.role) == (analyst.id, StudyRole.ANALYST)
    assert "tobacco" in client.get("/analyse/").text


def test_checked_files_are_only_for_who_sent_them_and_for_an_hour(
    client, session, facilitator, app, monkeypatch
):
    files = {"dtt": upload(client, TOBACCO), "rls": upload(client, TOBACCO.with_suffix(".rls"))}
    page = check(client, "excalibur", files, slug="tobacco")
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page.text).group(1)
    root = Path(app.instance_path) / "imports"
    assert staging.load(root, token, facilitator.id + 1) is None
    assert staging.load(root, "../" + token, facilitator.id) is None
    assert staging.load(root, token, facilitator.id) is not None
    later = staging.utcnow() + staging.KEEP_FOR + timedelta(minutes=1)
    monkeypatch.setattr(staging, "utcnow", lambda: later)
    assert staging.load(root, token, facilitator.id) is None
    staging.sweep(root)
    assert not (root / token).exists()
    assert confirm(client, page).status_code == 302
    assert find(session, "tobacco") is None


def test_csrf_is_required(client, session, facilitator):
    response = client.post(
        PAGE,
        data={"layout": "excalibur", "slug": "x-study", "excalibur_dtt": upload(client, TOBACCO)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "not sent from this site" in response.text
    assert find(session, "x-study") is None


def test_anonymous_visitors_and_experts_are_refused(client, session, panel):
    anonymous = client.get(PAGE)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    journey.enter(client, panel["tokens"][0])
    expert = client.get(PAGE)
    assert expert.status_code in (302, 403)
    assert "Import a study" not in expert.text
    posted = client.post(f"{PAGE}/confirm", data={"token": "x" * 32})
    assert posted.status_code in (302, 400, 403)
    assert session.scalar(sa.select(sa.func.count()).select_from(Study)) == 1


def test_the_staging_folder_keeps_uploaded_names_safe(tmp_path):
    staged = staging.stage(tmp_path, 1, {"dtt": ("../../evil.dtt", b"x")}, {"layout": "x"})
    assert staged.files["dtt"].parent.parent == staged.folder
    assert staged.relative(f"{staged.files['dtt']}:3: bad") == "evil.dtt:3: bad"
    loaded = staging.load(tmp_path, staged.token, 1)
    assert loaded.files == staged.files and loaded.settings == {"layout": "x"}
    staging.discard(staged)
    assert not staged.folder.exists()
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_the_import_page_is_marked_for_translation(marking, session):
    client = marking
    factories.user(session, email="owner@example.org")
    factories.user(session, email="ana@example.org", role=Role.ANALYST)
    session.commit()
    login(client, "ana@example.org", factories.PASSWORD)
    page = staff.page_of(client.get(PAGE))
    assert staff.unmarked(page) == []
    bad = b"question_id,expert_id,round,element,value\nq1,E1,1,p,high\n"
    refused = check(
        client, "long", {"judgments": upload(client, name="j.csv", data=bad)}, slug="Bad Name"
    )
    text = staff.page_of(refused, 400)
    assert staff.unmarked(text, "Bad Name") == []
    over = b"question_id,expert_id,round,element,value\nq1,E1,1,p,30\n"
    hinted = check(
        client,
        "long",
        {"judgments": upload(client, name="j.csv", data=over)},
        owner="owner@example.org",
    )
    text = staff.page_of(hinted, 400)
    hint = re.search(r"⟦Hint: (.*?)⟧</p>", text).group(1)
    assert "--percent" not in hint and "⟦Probabilities are percentages (0 to 100)⟧" in hint
    files = {"dtt": upload(client, TOBACCO), "rls": upload(client, TOBACCO.with_suffix(".rls"))}
    checked = check(client, "excalibur", files, slug="tobacco", owner="owner@example.org")
    text = staff.page_of(checked)
    assert staff.unmarked(text, "tobacco", "owner@example.org") == []
    bad_file = check(
        client,
        "long",
        {"judgments": upload(client, name="j.csv", data=bad)},
        slug="fine",
        owner="owner@example.org",
    )
    text = staff.page_of(bad_file, 400)
    problems = [html.unescape(c) for c in re.findall(r'<td data-label="[^"]*">([^<]*)</td>', text)]
    assert problems and staff.unmarked(text, "fine", "owner@example.org", *problems) == []


@pytest.mark.parametrize(
    ("layout", "roles"),
    [
        ("long", ["judgments", "outcomes"]),
        ("excalibur", ["dtt", "rls"]),
        ("replicats", ["ratings"]),
    ],
)
def test_empty_or_garbled_files_are_problems_not_errors(
    client, session, facilitator, layout, roles
):
    for content in (b"", b"\x00\x01garbage\n\xff"):
        files = {role: upload(client, name=f"{role}.txt", data=content) for role in roles}
        page = check(client, layout, files)
        assert page.status_code == 400, page.text
        assert 'id="error-summary"' in page.text
    assert find(session, "imported") is None
