"""Calibration and back-test: the service, the page, the plots and `elicit score` agree."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from elicit import formatting
from elicit.accounts.models import Role, StudyRole
from elicit.analysis import calibration, longform, plots, study_data
from elicit.studies.sharing import share_study
from tests import factories
from tests.calibration_study import EXPERTS, PROBABILITIES, build
from tests.conftest import login

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def study(session):
    return build(session)


@pytest.fixture
def analyst(session, client, study):
    """An analyst the study is shared with, logged in."""
    factories.user(session, email="ana@example.org", role=Role.ANALYST, name="Ana Analyst")
    share_study(session, study, "ana@example.org", StudyRole.ANALYST, actor=study.owner)
    session.commit()
    login(client, "ana@example.org", factories.PASSWORD)
    return client


def _expected_round_two():
    """The round-2 probabilities and outcomes of the hand case, per expert, for direct formulas."""
    forecasts = {e: [] for e in EXPERTS}
    outcomes = []
    for _, (outcome, probabilities) in sorted(PROBABILITIES.items()):
        outcomes.append(1.0 if outcome.value == "yes" else 0.0)
        for e, p in zip(EXPERTS, probabilities, strict=True):
            forecasts[e].append(p)
    # the three-point question i1 resolved yes; best estimates 0.3, 0.6, 0.8
    for e, best in zip(EXPERTS, (0.3, 0.6, 0.8), strict=True):
        forecasts[e].append(best)
    outcomes.append(1.0)
    return {e: np.array(v) for e, v in forecasts.items()}, np.array(outcomes)


def _auc(p, o):
    """Mann-Whitney AUC by counting pairs, ties as a half."""
    pos, neg = p[o == 1], p[o == 0]
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    return wins / (pos.size * neg.size)


def test_scores_match_an_independent_computation(session, study):
    report = calibration.for_study(session, study)
    forecasts, outcomes = _expected_round_two()
    rows = {r["name"]: r for r in report.scores.experts.rows()}
    logs = {e: -np.log(np.where(outcomes == 1, p, 1 - p)) for e, p in forecasts.items()}
    for expert, p in forecasts.items():
        row = rows[expert]
        assert row["n"] == len(outcomes)
        assert row["brier"] == pytest.approx(np.mean((p - outcomes) ** 2))
        assert row["log_score"] == pytest.approx(np.mean(logs[expert]))
        assert row["auc"] == pytest.approx(_auc(p, outcomes))
        others = [o for o in EXPERTS if o != expert]
        peer = 100 * np.mean([logs[o] for o in others], axis=0) - 100 * logs[expert]
        assert row["peer_score"] == pytest.approx(np.mean(peer))
        # Murphy: with every forecast alone in its bin, reliability - resolution + uncertainty
        base = outcomes.mean()
        assert row["uncertainty"] == pytest.approx(base * (1 - base))
        total = row["reliability"] - row["resolution"] + row["uncertainty"]
        total += row["within_bin_variance"] - row["within_bin_covariance"]
        assert total == pytest.approx(row["brier"])
    methods = {r["method"]: r for r in report.scores.method_rows()}
    linear = np.mean([forecasts[e] for e in EXPERTS], axis=0)
    assert methods["linear"]["brier"] == pytest.approx(np.mean((linear - outcomes) ** 2))
    assert [r["rank"] for r in report.scores.method_rows()] == list(range(1, len(methods) + 1))
    # the panel's reliability bins: counts and observed frequencies by hand, Wilson's formula
    bins = report.scores.reliability_rows(calibration.PANEL)
    everything = np.concatenate(list(forecasts.values()))
    happened = np.tile(outcomes, len(EXPERTS))
    assert sum(b["n"] for b in bins) == everything.size
    z = 1.959963984540054
    for b in bins:
        inside = np.minimum(np.floor(everything * 10), 9) == round(b["low"] * 10)
        n, k = inside.sum(), happened[inside].sum()
        assert b["n"] == n and b["observed"] == pytest.approx(k / n)
        centre = (k / n + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(k / n * (1 - k / n) / n + z * z / (4 * n * n))
        if 0 < k < n:
            assert (b["lower"], b["upper"]) == pytest.approx((centre - half, centre + half))


def test_cooke_runs_on_the_calibration_questions(session, study):
    from elicit.core import cooke

    report = calibration.for_study(session, study)
    model = report.cooke
    assert model.seeds == ["s1", "s2"] and model.items == ["s1", "s2", "t1"]
    assert model.experts == list(EXPERTS)
    table = study_data.judgments(session, study).select(None)
    levels, grid = longform.quantiles(table)
    at = [table.questions.index(k) for k in ("s1", "s2", "t1")]
    expected = cooke.classical_model(grid[:, at], np.array([12.0, 3.0, np.nan]), levels)
    np.testing.assert_allclose(model.model.calibration, expected.calibration)
    np.testing.assert_allclose(model.model.weights, expected.weights)
    assert model.dm.combined == pytest.approx(expected.dm.combined)
    assert model.item_robustness.left_out.tolist() == [0, 1]
    assert model.expert_robustness.left_out.tolist() == [0, 1, 2]


def _long_csv(table: longform.Judgments) -> str:
    names = {longform.P: "p", longform.LOWER: "lower", longform.BEST: "best"}
    names[longform.UPPER] = "upper"
    out = io.StringIO()
    out.write("question_id,expert_id,round,element,value\n")
    for i in range(table.value.size):
        kind = int(table.kind[i])
        element = names.get(kind) or f"q{table.level[i] * 100:g}"
        out.write(
            f"{table.questions[table.question[i]]},{table.experts[table.expert[i]]},"
            f"{table.round[i]},{element},{float(table.value[i])!r}\n"
        )
    return out.getvalue()


def test_page_service_and_command_line_agree(session, study, analyst, runner, tmp_path):
    report = calibration.for_study(session, study)
    full = study_data.judgments(session, study)
    judgments = tmp_path / "judgments.csv"
    judgments.write_text(_long_csv(full), encoding="utf-8")
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text(
        "question_id,outcome\n"
        + "".join(f"{k},{o.value}\n" for k, (o, _) in PROBABILITIES.items())
        + "i1,yes\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["score", str(judgments), str(outcomes), "--format", "json"])
    assert result.exit_code == 0, result.output
    cli_rows = json.loads(result.stdout)
    cli_experts = {r["name"]: r for r in cli_rows if r["kind"] == "expert"}
    cli_methods = {r["name"]: r for r in cli_rows if r["kind"] == "method"}
    page = analyst.get("/analyse/studies/calib/calibration")
    assert page.status_code == 200
    for row in report.scores.experts.rows():
        for column in ("brier", "log_score", "auc", "peer_score"):
            assert cli_experts[row["name"]][column] == row[column]
            shown = formatting.score(row[column], 1 if column == "peer_score" else 3)
            assert _cell(page.text, "expert", row["name"], column) == shown
    for row in report.scores.method_rows():
        assert cli_methods[row["method"]]["brier"] == row["brier"]
        assert cli_methods[row["method"]]["rank"] == row["rank"]
        assert _cell(page.text, "method", row["method"], "brier") == formatting.score(row["brier"])
    for name, weight in zip(report.cooke.experts, report.cooke.model.weights, strict=True):
        assert _cell(page.text, "expert", name, "weight") == formatting.probability(weight)
    assert "Name Alder" not in page.text and "Alder@x.test" not in page.text


def _cell(html: str, kind: str, name: str, column: str) -> str:
    """The text of the cell ``column`` in the first table row ``data-<kind>="name"`` with it."""
    for row in re.findall(rf'<tr data-{kind}="{re.escape(name)}">(.*?)</tr>', html, re.S):
        found = re.search(rf'data-value="{column}">(.*?)</td>', row, re.S)
        if found:
            return found.group(1).strip()
    raise AssertionError(f"no {column} cell for {kind} {name}")


def test_a_study_with_no_resolved_questions_says_so(session, client):
    owner = factories.user(session)
    factories.study(session, owner=owner, slug="fresh")
    session.commit()
    login(client, owner.email, factories.PASSWORD)
    page = client.get("/analyse/studies/fresh/calibration")
    assert page.status_code == 200
    assert "No question of this study has resolved yet" in page.text
    assert client.get("/analyse/studies/fresh/plots/reliability.svg").status_code == 404


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("reliability", ["Reliability diagram", "Forecast probability (%)", "Observed frequency"]),
        (
            "backtest",
            ["Back-test on 5 resolved questions", "Brier score (0 to 1", "Pooling method"],
        ),
        ("cooke", ["calibration and information", "Calibration score", "nats", "Alder"]),
        ("answers", ["Answers per round", "Round", "Answers (one per expert and question)"]),
        ("convergence", ["Convergence across rounds", "percentage points"]),
    ],
)
def test_plots_are_svg_with_title_and_axis_labels(analyst, name, words):
    response = analyst.get(f"/analyse/studies/calib/plots/{name}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{SVG}svg"
    text = " ".join(t.strip() for t in root.itertext())
    for word in words:
        assert word in text
    again = analyst.get(f"/analyse/studies/calib/plots/{name}.svg")
    assert again.data == response.data


def test_the_quantity_plot_shows_each_expert_and_the_pool(analyst):
    response = analyst.get("/analyse/studies/calib/plots/quantity.svg?question=t1")
    assert response.status_code == 200
    text = " ".join(ET.fromstring(response.data).itertext())
    for word in ("t1", "Linear pool", "Cumulative probability (%)", "units", *EXPERTS):
        assert word in text
    png = analyst.get("/analyse/studies/calib/plots/quantity.png?question=t1")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/analyse/studies/calib/plots/nonsense.svg", 404, None),
        ("/analyse/studies/calib/plots/reliability.gif", 400, "format must be svg or png"),
        ("/analyse/studies/calib/plots/reliability.svg?round=x", 400, "round must be"),
        ("/analyse/studies/calib/plots/reliability.svg?round=0", 400, "round must be"),
        ("/analyse/studies/calib/plots/reliability.svg?round=9", 404, None),
        ("/analyse/studies/calib/plots/quantity.svg", 400, "question must name"),
        ("/analyse/studies/calib/plots/quantity.svg?question=b1", 400, "question must name"),
        ("/analyse/studies/calib/calibration?round=two", 400, "round must be"),
        ("/analyse/studies/nothere/calibration", 404, None),
    ],
)
def test_bad_requests(analyst, url, status, message):
    response = analyst.get(url)
    assert response.status_code == status
    if message:
        assert message in response.text


def test_a_round_can_be_chosen(session, study, analyst):
    first = calibration.for_study(session, study, 1)
    rows = {r["name"]: r for r in first.scores.experts.rows()}
    assert rows["Alder"]["brier"] == pytest.approx(0.25)  # everyone said 50% in round 1
    page = analyst.get("/analyse/studies/calib/calibration?round=1")
    assert page.status_code == 200 and "Scored: round 1." in page.text
    assert _cell(page.text, "expert", "Alder", "brier") == formatting.score(0.25)


@pytest.mark.parametrize(
    ("role", "shared", "status"),
    [
        (Role.ANALYST, StudyRole.ANALYST, 200),
        (Role.ANALYST, None, 404),
        (Role.FACILITATOR, None, 404),
        (Role.ADMIN, None, 200),
    ],
)
def test_only_those_the_study_is_shared_with_see_it(session, client, study, role, shared, status):
    factories.user(session, email="viewer@example.org", role=role, name="Vic Viewer")
    if shared is not None:
        share_study(session, study, "viewer@example.org", shared, actor=study.owner)
    session.commit()
    login(client, "viewer@example.org", factories.PASSWORD)
    assert client.get("/analyse/studies/calib/calibration").status_code == status
    assert client.get("/analyse/studies/calib/plots/answers.svg").status_code == status


def test_three_point_studies_backtest_the_aggrecat_pools(session):
    from datetime import date

    from elicit.core import aggrecat
    from elicit.judgments.rules import Answer
    from elicit.judgments.submission import record_judgment
    from elicit.panels.services import add_expert
    from elicit.rounds.services import close_round, open_next_round
    from elicit.studies.models import Outcome, QuestionKind
    from elicit.studies.services import resolve_question

    owner = factories.user(session)
    found = factories.study(session, owner=owner, slug="claims")
    claims = [
        factories.question(session, found, key=f"c{i}", kind=QuestionKind.BINARY_INTERVAL)
        for i in range(4)
    ]
    experts = [
        add_expert(session, found, pseudonym=p, name=p, email=f"{p}@x.test") for p in EXPERTS
    ]
    bests = [[0.7, 0.2, 0.6, 0.4], [0.8, 0.3, 0.5, 0.2], [0.6, 0.1, 0.9, 0.3]]
    for number in (1, 2):
        round_ = open_next_round(session, found)
        for e, expert in enumerate(experts):
            for c, claim in enumerate(claims):
                b = bests[e][c] if number == 2 else 0.5
                record_judgment(
                    session,
                    expert,
                    claim,
                    round_,
                    Answer(lower=b / 2, probability=b, upper=(1 + b) / 2),
                )
        close_round(session, round_)
    for claim, outcome in zip(
        claims, (Outcome.YES, Outcome.NO, Outcome.YES, Outcome.NO), strict=True
    ):
        resolve_question(
            session, claim, outcome=outcome, source="s", resolved_on=date(2027, 6, 1), actor=owner
        )
    report = calibration.for_study(session, found)
    methods = {r["method"]: r for r in report.scores.method_rows()}
    assert "ShiftWAgg" in methods and "ArMean" in methods and "linear" in methods
    best = np.array(bests).T.ravel()  # claim-major, experts in pseudonym order
    groups = np.repeat(np.arange(4), 3)
    lower, upper = best / 2, (1 + best) / 2
    pooled = aggrecat.METHODS["IntWAgg"](lower, best, upper, groups, 4)
    outcomes = np.array([1.0, 0, 1, 0])
    assert methods["IntWAgg"]["brier"] == pytest.approx(np.mean((pooled - outcomes) ** 2))
    assert methods["ArMean"]["brier"] == pytest.approx(methods["linear"]["brier"])


def test_plot_names_are_the_registry():
    assert set(plots.PLOTS) == {
        "answers",
        "convergence",
        "reliability",
        "backtest",
        "cooke",
        "quantity",
    }
    with pytest.raises(ValueError, match="format must be one of svg, png"):
        plots.render(None, "gif")


def test_render_is_deterministic_without_a_date(session, study):
    report = calibration.for_study(session, study)
    first = plots.plot("reliability", report)
    assert first == plots.plot("reliability", report)
    assert b"<dc:date>" not in first


def test_report_writes_the_plots_and_a_summary_with_the_pages_numbers(
    session, study, analyst, runner, tmp_path
):
    out = tmp_path / "report"
    result = runner.invoke(args=["report", "calib", "--output", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "index.html",
            "answers.svg",
            "convergence.svg",
            "reliability.svg",
            "backtest.svg",
            "cooke.svg",
            "quantity-s1.svg",
            "quantity-s2.svg",
            "quantity-t1.svg",
        ]
    )
    summary = (out / "index.html").read_text(encoding="utf-8")
    page = analyst.get("/analyse/studies/calib/calibration").text
    report = calibration.for_study(session, study)
    for row in report.scores.experts.rows():
        assert _cell(summary, "expert", row["name"], "brier") == _cell(
            page, "expert", row["name"], "brier"
        )
    for row in report.scores.method_rows():
        assert _cell(summary, "method", row["method"], "brier") == formatting.score(row["brier"])
    assert 'src="reliability.svg"' in summary and "Name Alder" not in summary
    assert (out / "reliability.svg").read_bytes() == plots.plot("reliability", report)
    missing = runner.invoke(args=["report", "nothere", "--output", str(out)])
    assert missing.exit_code == 2 and "no study called 'nothere'" in missing.output
    no_round = runner.invoke(args=["report", "calib", "--round", "7", "--output", str(out)])
    assert no_round.exit_code == 2 and "has no round 7" in no_round.output


REPLICATS = Path(__file__).parent / "data" / "replicats"


def test_the_repliCATS_pilot_backtest_reproduces_the_published_evaluation(tmp_path):
    """25 resolved claims, two rounds of three-point judgments: `elicit score` back-tests the
    aggreCAT pools on them and gets the AUC and Brier scores Hanea et al. (2021) published."""
    from click.testing import CliRunner

    from elicit.analysis import cli

    rows = ["question_id,expert_id,round,element,value"]
    with open(REPLICATS / "data_ratings.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["element"].startswith("three_point_"):
                element = row["element"].removeprefix("three_point_")
                number = row["round"].removeprefix("round_")
                rows.append(
                    f"{row['paper_id']},{row['user_name']},{number},{element},{row['value']}"
                )
    judgments = tmp_path / "judgments.csv"
    judgments.write_text("\n".join(rows) + "\n", encoding="utf-8")
    outcomes = tmp_path / "outcomes.csv"
    given = (REPLICATS / "data_outcomes.csv").read_text(encoding="utf-8")
    outcomes.write_text(given.replace("paper_id,", "question_id,", 1), encoding="utf-8")
    args = [str(judgments), str(outcomes), "--percent", "--round", "2", "--format", "json"]
    result = CliRunner().invoke(cli.score, args)
    assert result.exit_code == 0, result.output
    methods = {r["name"]: r for r in json.loads(result.stdout) if r["kind"] == "method"}
    assert {r["n"] for r in methods.values()} == {25}
    for name, auc, brier in (
        ("ArMean", 0.94, 0.15),
        ("IndIntWAgg", 0.93, 0.14),
        ("IntWAgg", 0.93, 0.14),
        ("ShiftWAgg", 0.96, 0.15),
    ):
        assert round(methods[name]["auc"], 2) == auc
        assert round(methods[name]["brier"], 2) == brier
    assert methods["ArMean"]["brier"] == pytest.approx(methods["linear"]["brier"])
