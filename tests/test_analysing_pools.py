"""A round's pooled forecasts: the page, its JSON and `elicit pool` agree; the store; access."""

from __future__ import annotations

import json

import numpy as np
import pytest

from elicit import formatting
from elicit.accounts.models import Role, StudyRole
from elicit.analysis import aggregates, longform, round_pools, study_data
from elicit.analysis.models import RoundPools
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert
from elicit.rounds.services import close_round, open_next_round
from elicit.studies.models import QuestionKind
from elicit.studies.sharing import share_study
from tests import factories
from tests.conftest import csrf_token, login

PSEUDONYMS = ("Cedar", "Alder", "Birch", "Elm")
ELEMENT = {longform.P: "p", longform.LOWER: "lower", longform.BEST: "best", longform.UPPER: "upper"}


@pytest.fixture
def study(session):
    """Two closed rounds and an open third of four experts on a binary, a three-point and a
    quantity question."""
    owner = factories.user(session)
    found = factories.study(session, owner=owner)
    binary = factories.question(session, found, key="b", title="Binary?")
    interval = factories.question(
        session, found, key="a", kind=QuestionKind.BINARY_INTERVAL, title="Interval?"
    )
    quantity = factories.question(
        session, found, key="c", kind=QuestionKind.QUANTITY, title="How many?"
    )
    experts = [
        add_expert(session, found, pseudonym=p, name=f"Name {p}", email=f"{p}@x.test")
        for p in PSEUDONYMS
    ]
    for number in (1, 2, 3):
        round_ = open_next_round(session, found)
        for i, expert in enumerate(experts):
            p = 0.1 * (i + number) + 0.01 * i * i
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
                Answer(quantile_values=[i + number, i + number + 1.5 + i / 2, 2 * i + number + 4]),
            )
        if number < 3:
            close_round(session, round_)
    session.flush()
    return found


def viewer(session, study, role, shared):
    """Log in a second user of ``role``, the study shared with them as ``shared`` (or not)."""
    person = factories.user(session, email="viewer@example.org", role=role, name="Vic Viewer")
    if shared is not None:
        share_study(session, study, person.email, shared, actor=study.owner)
    session.commit()
    return person


def write_long_csv(table: longform.Judgments, path) -> None:
    """Write ``table`` as the long CSV, row for row, numbers in full."""
    lines = ["question_id,expert_id,round,element,value,time"]
    for i in range(table.value.size):
        kind = int(table.kind[i])
        element = ELEMENT.get(kind) or f"q{table.level[i] * 100:g}"
        lines.append(
            f"{table.questions[table.question[i]]},{table.experts[table.expert[i]]},"
            f"{table.round[i]},{element},{float(table.value[i])!r},{float(table.time[i])!r}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_page_its_json_and_elicit_pool_give_the_same_numbers(
    session, client, runner, study, tmp_path
):
    login(client, study.owner.email, factories.PASSWORD)
    served = client.get("/analyse/studies/study/pools.json?round=2")
    assert served.status_code == 200
    got = served.get_json()
    assert got["round"] == 2 and got["state"] == "closed"
    assert all(set(row) == set(aggregates.COLUMNS) for row in got["aggregates"])
    assert all(set(row) == set(aggregates.CONSENSUS) for row in got["consensus"])
    methods = {row["method"] for row in got["aggregates"]}
    assert {"linear", "log_odds", "ArMean", "ShiftWAgg", "linear_pool_best_fit", "vincentize"} <= (
        methods
    )
    path = tmp_path / "judgments.csv"
    write_long_csv(study_data.judgments(session, study), path)
    args = ["pool", str(path), "--round", "2", "--format", "json"]
    args += [
        "--bootstrap",
        str(aggregates.DEFAULT_RESAMPLES),
        "--seed",
        str(aggregates.DEFAULT_SEED),
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == got["aggregates"]
    assert client.get("/analyse/studies/study/pools?round=2&format=json").get_json() == got

    page = client.get("/analyse/studies/study/pools?round=2")
    assert page.status_code == 200
    question = study.questions[0]
    row = next(r for r in got["aggregates"] if r["question_id"] == "b" and r["method"] == "linear")
    assert row["n"] == 4 and row["low"] < row["value"] < row["high"]
    assert formatting.interval(row["low"], row["high"], question, locale="en") in page.text
    median = next(
        r
        for r in got["aggregates"]
        if r["question_id"] == "c"
        and r["method"] == "linear_pool_best_fit"
        and r["quantile"] == 0.5
    )
    assert formatting.figure(median["value"], study.questions[2], locale="en") in page.text
    stats = {c["question_id"]: c for c in got["consensus"]}
    assert stats["b"]["n"] == 4
    assert stats["b"]["median"] == pytest.approx(np.median([0.2, 0.31, 0.44, 0.59]))


def test_the_bootstrap_is_reproducible_with_its_seed_and_ignores_row_order(session, study):
    table = study_data.judgments(session, study)
    one = table.select(1)

    def pooled(data, seed):
        boot = aggregates.Bootstrap(200, seed)
        blocks = aggregates.pool_round(data, full=table, bootstrap=boot).blocks
        return {
            (b.columns["method"], b.columns["quantile"]): (b.columns["low"], b.columns["high"])
            for b in blocks
        }

    first, again, other = pooled(one, 5), pooled(one, 5), pooled(one, 6)
    shuffled = pooled(one.take(np.random.default_rng(0).permutation(one.value.size)), 5)
    for key, (low, high) in first.items():
        assert np.array_equal(low, again[key][0]) and np.array_equal(high, again[key][1]), key
        assert np.array_equal(low, shuffled[key][0]), key
    assert any(not np.array_equal(low, other[key][0]) for key, (low, _) in first.items())
    assert all(np.isfinite(low).all() for low, _ in first.values())


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("round=two", "round"),
        ("round=0", "round"),
        ("round=-1", "round"),
        ("method=best", "method"),
        ("format=xml", "format"),
    ],
)
def test_a_malformed_parameter_answers_400_naming_it(session, client, study, query, name):
    login(client, study.owner.email, factories.PASSWORD)
    page = client.get(f"/analyse/studies/study/pools?{query}")
    assert page.status_code == 400
    assert f"{name} " in page.text and "<html" in page.text
    data = client.get(f"/analyse/studies/study/pools.json?{query}")
    assert data.status_code == 400
    assert data.get_json()["error"]["code"] == f"bad_{name}"
    assert data.get_json()["error"]["message"].startswith(name)


def test_method_keeps_one_methods_rows(session, client, study):
    login(client, study.owner.email, factories.PASSWORD)
    got = client.get("/analyse/studies/study/pools.json?round=1&method=median").get_json()
    assert {r["method"] for r in got["aggregates"]} == {"median"}
    first = client.get("/analyse/studies/study/pools.json?round=1").get_json()
    assert "ShiftWAgg" not in {r["method"] for r in first["aggregates"]}
    assert any(
        note.startswith("ShiftWAgg needs a round after the first") for note in first["notes"]
    )
    assert client.get("/analyse/studies/study/pools.json?round=9").status_code == 404


def test_analysts_see_closed_rounds_and_facilitators_the_open_one_live(app, session, client, study):
    viewer(session, study, Role.ANALYST, StudyRole.ANALYST)
    login(client, "viewer@example.org", factories.PASSWORD)
    default = client.get("/analyse/studies/study/pools.json").get_json()
    assert default["round"] == 2
    assert client.get("/analyse/studies/study/pools.json?round=3").status_code == 403
    page = client.get("/analyse/studies/study/pools")
    assert page.status_code == 200 and "open, live" not in page.text
    assert "Name Alder" not in page.text
    client = app.test_client()
    login(client, study.owner.email, factories.PASSWORD)
    live = client.get("/analyse/studies/study/pools.json").get_json()
    assert live["round"] == 3 and live["state"] == "open" and live["aggregates"]
    assert "open, live" in client.get("/analyse/studies/study/pools").text
    nav = client.get("/facilitate/studies/study").text
    assert "/analyse/studies/study/pools" in nav


@pytest.mark.parametrize("role", [Role.ANALYST, Role.FACILITATOR])
def test_a_study_not_shared_answers_404(session, client, study, role):
    viewer(session, study, role, None)
    login(client, "viewer@example.org", factories.PASSWORD)
    assert client.get("/analyse/studies/study/pools").status_code == 404
    assert client.get("/analyse/studies/study/pools.json?round=1").status_code == 404


def test_a_round_is_computed_once_per_change(session, client, study, monkeypatch):
    calls = []
    compute = round_pools.compute

    def counted(*args, **kwargs):
        calls.append(1)
        return compute(*args, **kwargs)

    monkeypatch.setattr(round_pools, "compute", counted)
    login(client, study.owner.email, factories.PASSWORD)
    first = client.get("/analyse/studies/study/pools.json?round=3").get_json()
    second = client.get("/analyse/studies/study/pools.json?round=3").get_json()
    assert first == second and len(calls) == 1
    assert session.query(RoundPools).count() == 1
    open_round = next(r for r in study.rounds if r.number == 3)
    newcomer = add_expert(session, study, pseudonym="Fir", name="Name Fir", email="f@x.test")
    binary = next(q for q in study.questions if q.key == "b")
    record_judgment(session, newcomer, binary, open_round, Answer(probability=0.9))
    session.commit()
    third = client.get("/analyse/studies/study/pools.json?round=3").get_json()
    assert len(calls) == 2
    linear = [r for r in third["aggregates"] if r["question_id"] == "b" and r["method"] == "linear"]
    assert linear[0]["n"] == 5
    client.get("/analyse/studies/study/pools.json?round=3")
    assert len(calls) == 2


def test_the_study_may_let_analysts_see_the_open_round_live(app, session, client, study):
    owner = app.test_client()
    login(owner, study.owner.email, factories.PASSWORD)
    page = owner.get("/facilitate/studies/study")
    form = {
        "csrf_token": csrf_token(page.text),
        "time_zone": "UTC",
        "analysts_see_live_pools": "y",
    }
    assert owner.post("/facilitate/studies/study/round-settings", data=form).status_code == 302
    session.expire_all()
    assert study.analysts_see_live_pools and not study.prefill_previous_answers
    viewer(session, study, Role.ANALYST, StudyRole.ANALYST)
    login(client, "viewer@example.org", factories.PASSWORD)
    live = client.get("/analyse/studies/study/pools.json").get_json()
    assert live["round"] == 3 and live["state"] == "open"
    assert client.get("/analyse/studies/study/pools.json?round=3").status_code == 200
