"""Analysts see a round once it closes, everywhere: downloads (CSV, JSON, ZIP and its manifest),
the study overview, the calibration page; live if the study lets them; those who run it always.

The study: round 1 closed (three experts), round 2 open (the three and a fourth, "Ash 2", who
answered round 2 only). Nothing of round 2 may reach an analyst unless the study allows it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest

from elicit.accounts.models import Role, StudyRole
from elicit.analysis import exports, study_data
from elicit.analysis.visibility import last_closed_round, round_limit, visible_rounds
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert
from elicit.rounds.services import close_round, open_next_round
from elicit.studies.models import Outcome, QuestionKind, Resolution
from elicit.studies.sharing import share_study
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_exports import _typed

ANALYST = "ana@example.org"
CO_FACILITATOR = "co@example.org"
LATE = "Ash 2"
"""The expert who answered the open round only."""
COMPUTED_WITH_ROUND = ("judgments", "aggregates", "consensus")


@pytest.fixture
def study(session):
    owner = factories.user(session)
    found = factories.study(session, owner=owner)
    binary = factories.question(session, found, key="b")
    interval = factories.question(session, found, key="a", kind=QuestionKind.BINARY_INTERVAL)
    quantity = factories.question(
        session, found, key="c", kind=QuestionKind.QUANTITY, quantiles=[0.1, 0.5, 0.9]
    )
    experts = [
        add_expert(session, found, pseudonym=p, name=f"Name {p}", email=f"{p}@x.test")
        for p in ("Cedar", "alder", "Birch", LATE)
    ]
    for number in (1, 2):
        round_ = open_next_round(session, found)
        for i, expert in enumerate(experts[: 3 if number == 1 else 4]):
            p = 0.1 * (i + 1) + 0.15 * (number - 1)
            record_judgment(session, expert, binary, round_, Answer(probability=p))
            record_judgment(
                session,
                expert,
                interval,
                round_,
                Answer(lower=p / 2, probability=p, upper=(1 + p) / 2),
            )
            record_judgment(
                session,
                expert,
                quantity,
                round_,
                Answer(quantile_values=[10.0 * number + i, 20.0 * number + i, 60.0 + i]),
            )
        if number == 1:
            close_round(session, round_)
    session.add(
        Resolution(
            question=binary,
            outcome=Outcome.YES,
            source="news",
            resolved_on=binary.resolve_by,
            resolved_by=owner,
        )
    )
    factories.user(session, email=ANALYST, role=Role.ANALYST, name="Ana Analyst")
    share_study(session, found, ANALYST, StudyRole.ANALYST, actor=owner)
    factories.user(session, email=CO_FACILITATOR, role=Role.FACILITATOR, name="Co Facilitator")
    share_study(session, found, CO_FACILITATOR, StudyRole.CO_FACILITATOR, actor=owner)
    session.commit()
    return found


def _rounds(what: str, fmt: str, data: bytes) -> set[int]:
    """The round numbers of a downloaded table's rows."""
    if fmt == "json":
        return {row["round"] for row in json.loads(data)}
    return {int(row["round"]) for row in csv.DictReader(io.StringIO(data.decode()))}


def _download(client, what: str, fmt: str) -> bytes:
    response = client.get(f"/analyse/studies/study/download/{what}.{fmt}")
    assert response.status_code == 200
    return response.data


def _logout(client) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/facilitate/").text)})


def _zip(client) -> zipfile.ZipFile:
    response = client.get("/analyse/studies/study/download.zip")
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_the_round_limit_is_the_last_closed_round_for_analysts_only(session, study):
    from elicit.accounts.access import StudyAccess

    assert last_closed_round(study) == 1
    assert round_limit(study, StudyAccess.VIEW) == 1
    assert round_limit(study, StudyAccess.RUN) is None
    assert round_limit(study, StudyAccess.OWN) is None
    study.analysts_see_live_pools = True
    assert round_limit(study, StudyAccess.VIEW) is None
    assert [r.number for r in visible_rounds(study.rounds, 1)] == [1]
    assert [r.number for r in visible_rounds(study.rounds, None)] == [1, 2]
    assert visible_rounds(study.rounds, 0) == []
    judgments = study_data.judgments(session, study, through_round=1)
    assert set(judgments.round.tolist()) == {1} and LATE not in judgments.experts


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_an_analyst_downloads_no_row_of_the_open_round(client, study, fmt):
    login(client, ANALYST, factories.PASSWORD)
    for what in exports.WHAT:
        data = _download(client, what, fmt)
        assert LATE.encode() not in data, what
        if what in COMPUTED_WITH_ROUND:
            assert _rounds(what, fmt, data) == {1}, what


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_with_live_pools_allowed_an_analyst_downloads_the_open_round(client, session, study, fmt):
    study.analysts_see_live_pools = True
    session.commit()
    login(client, ANALYST, factories.PASSWORD)
    for what in COMPUTED_WITH_ROUND:
        assert _rounds(what, fmt, _download(client, what, fmt)) == {1, 2}, what
    assert LATE.encode() in _download(client, "scores", fmt)


@pytest.mark.parametrize("email", [CO_FACILITATOR, "fac@example.org"])
def test_those_who_run_the_study_download_the_open_round(client, study, email):
    login(client, email, factories.PASSWORD)
    for fmt in exports.FORMATS:
        for what in COMPUTED_WITH_ROUND:
            assert _rounds(what, fmt, _download(client, what, fmt)) == {1, 2}, what
    manifest = json.loads(_zip(client).read("manifest.json"))
    assert manifest["rounds"]["included"] == [1, 2] and manifest["rounds"]["left_out"] == []
    assert manifest["rounds"]["through_round"] is None


def test_an_analysts_zip_and_its_manifest_stop_at_the_closed_round(client, study):
    login(client, ANALYST, factories.PASSWORD)
    archive = _zip(client)
    for name in archive.namelist():
        assert LATE.encode() not in archive.read(name), name
    for what in COMPUTED_WITH_ROUND:
        assert _rounds(what, "csv", archive.read(f"{what}.csv")) == {1}, what
    judgments = archive.read("judgments.csv")
    assert judgments == _download(client, "judgments", "csv")
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["rounds"]["included"] == [1]
    assert manifest["rounds"]["left_out"] == [2]
    assert manifest["rounds"]["through_round"] == 1
    assert manifest["judgment_data"]["sha256"] == hashlib.sha256(judgments).hexdigest()
    methods = {m["file"]: m for m in manifest["methods"]}
    assert methods["aggregates.csv"]["rounds"] == methods["consensus.csv"]["rounds"] == [1]
    assert methods["scores.csv"]["round"] == 1
    assert "--round 1 " in methods["scores.csv"]["reproduce"]


def test_elicit_pool_and_score_reproduce_an_analysts_zip(client, runner, study, tmp_path):
    login(client, ANALYST, factories.PASSWORD)
    archive = _zip(client)
    for name in archive.namelist():
        (tmp_path / name).write_bytes(archive.read(name))
    judgments = str(tmp_path / "judgments.csv")
    pooled = runner.invoke(
        args=["pool", judgments, "--round", "1", "--bootstrap", "1000", "--seed", "12"]
        + ["--format", "csv"]
    )
    assert pooled.exit_code == 0, pooled.output
    exported = _typed(archive.read("aggregates.csv").decode())
    assert exported and _typed(pooled.stdout) == exported
    scored = runner.invoke(
        args=["score", judgments, str(tmp_path / "resolutions.csv"), "--round", "1"]
        + ["--format", "csv"]
    )
    assert scored.exit_code == 0, scored.output
    exported = _typed(archive.read("scores.csv").decode())
    assert exported and _typed(scored.stdout) == exported


def test_the_command_exports_closed_rounds_only_when_asked(client, runner, study, tmp_path):
    login(client, ANALYST, factories.PASSWORD)
    web = _zip(client)
    everything, closed = tmp_path / "all.zip", tmp_path / "closed.zip"
    result = runner.invoke(args=["export", "study", "--output", str(everything)])
    assert result.exit_code == 0, result.output
    assert _rounds("judgments", "csv", zipfile.ZipFile(everything).read("judgments.csv")) == {1, 2}
    result = runner.invoke(args=["export", "study", "--closed-rounds-only", "-o", str(closed)])
    assert result.exit_code == 0, result.output
    cli = zipfile.ZipFile(closed)
    assert cli.namelist() == web.namelist()
    for name in cli.namelist():
        if name != "manifest.json":
            assert cli.read(name) == web.read(name), name
    ours, theirs = (json.loads(z.read("manifest.json")) for z in (cli, web))
    ours.pop("exported_at"), theirs.pop("exported_at")
    assert ours == theirs
    result = runner.invoke(
        args=["export", "study", "--closed-rounds-only", "--format", "json", "--table", "judgments"]
    )
    assert result.exit_code == 0, result.output
    assert _rounds("judgments", "json", result.stdout_bytes) == {1}
    helped = runner.invoke(args=["export", "--help"])
    assert "--closed-rounds-only" in helped.output and "analyst" in helped.output


def test_an_analyst_with_no_closed_round_gets_empty_files(client, session):
    owner = factories.user(session)
    found = factories.study(session, owner=owner)
    question = factories.question(session, found, key="b")
    expert = add_expert(session, found, pseudonym="Cedar", name="N", email="c@x.test")
    record_judgment(
        session, expert, question, open_next_round(session, found), Answer(probability=0.3)
    )
    factories.user(session, email=ANALYST, role=Role.ANALYST, name="Ana Analyst")
    share_study(session, found, ANALYST, StudyRole.ANALYST, actor=owner)
    session.commit()
    login(client, ANALYST, factories.PASSWORD)
    assert _download(client, "judgments", "json") == b"[\n]\n"
    assert _download(client, "aggregates", "csv").count(b"\n") == 1
    manifest = json.loads(_zip(client).read("manifest.json"))
    assert manifest["rounds"]["included"] == [] and manifest["rounds"]["left_out"] == [1]
    page = client.get("/analyse/studies/study").text
    assert "Round 1 is open: analysts see its answers once it closes." in page
    assert "No round has opened yet" not in page


def test_the_overview_counts_the_open_rounds_answers_for_those_who_may_see_them(
    client, session, study
):
    login(client, ANALYST, factories.PASSWORD)
    page = client.get("/analyse/studies/study").text
    assert "Round 1: 9 answers" in page and "Round 2: 12 answers" not in page
    assert "Round 2 is open: analysts see its answers once it closes." in page
    study.analysts_see_live_pools = True
    session.commit()
    page = client.get("/analyse/studies/study").text
    assert "Round 2: 12 answers" in page and "Round 2 is open" not in page
    _logout(client)
    login(client, CO_FACILITATOR, factories.PASSWORD)
    assert "Round 2: 12 answers" in client.get("/analyse/studies/study").text


def test_the_calibration_page_scores_the_closed_rounds_for_an_analyst(client, session, study):
    login(client, ANALYST, factories.PASSWORD)
    page = client.get("/analyse/studies/study/calibration")
    assert page.status_code == 200 and LATE not in page.text
    assert "round=2" not in page.text
    assert client.get("/analyse/studies/study/calibration?round=2").status_code == 403
    assert client.get("/analyse/studies/study/plots/reliability.svg?round=2").status_code == 403
    assert client.get("/analyse/studies/study/calibration?round=1").status_code == 200
    _logout(client)
    login(client, CO_FACILITATOR, factories.PASSWORD)
    page = client.get("/analyse/studies/study/calibration")
    assert page.status_code == 200 and LATE in page.text and "round=2" in page.text


def test_an_analysts_track_records_leave_out_the_open_round(client, study):
    login(client, ANALYST, factories.PASSWORD)
    page = client.get("/analyse/studies/study/track-record")
    assert page.status_code == 200 and "Cedar" in page.text and LATE not in page.text
    _logout(client)
    login(client, CO_FACILITATOR, factories.PASSWORD)
    page = client.get("/analyse/studies/study/track-record")
    assert page.status_code == 200 and LATE in page.text


def test_the_study_page_and_rationales_keep_the_open_round_from_an_analyst(client, study):
    login(client, ANALYST, factories.PASSWORD)
    page = client.get("/facilitate/studies/study").text
    assert "Round 1</th>" in page and "Round 2 (open)" not in page
    assert "/rounds/1/rationales" in page and "/rounds/2/rationales" not in page
    assert client.get("/facilitate/studies/study/rounds/1/rationales").status_code == 200
    assert client.get("/facilitate/studies/study/rounds/2/rationales").status_code == 403
    _logout(client)
    login(client, CO_FACILITATOR, factories.PASSWORD)
    page = client.get("/facilitate/studies/study").text
    assert "Round 2 (open)" in page and "/rounds/2/rationales" in page
    assert client.get("/facilitate/studies/study/rounds/2/rationales").status_code == 200
