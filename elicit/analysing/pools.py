"""A round's pooled forecasts: every applicable pool per question, with intervals and n.

``/analyse/studies/<slug>/pools?round=N`` shows them as a page and, with
``format=json`` or at ``pools.json``, as JSON (the rows ``elicit pool
--bootstrap 1000 --seed 12 --round N --format json`` writes from the study's
exported judgments). ``method`` keeps one method's rows.

Who sees which round: those who run the study (facilitators, the owner,
administrators) see every round that has opened, the open one live; analysts
see a round once it has closed, or live too if the study allows it
(``Study.analysts_see_live_pools``, a round setting): the rule of
:mod:`elicit.analysis.visibility`, as every analysing page and download applies
it. Without ``round`` the page shows the latest round the user may see. The figures come from
:func:`elicit.analysis.round_pools.round_pools`, which computes them once per
change of the round.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, jsonify, render_template, request
from flask_babel import gettext

from elicit.accounts.access import roles_required
from elicit.analysing.blueprint import bp
from elicit.analysing.views import STAFF
from elicit.analysis.visibility import round_limit, visible_rounds
from elicit.extensions import db
from elicit.lookup import round_or_404, study_or_404
from elicit.rounds.models import Round
from elicit.studies.models import Study

FORMATS = ("html", "json")


class BadParameter(Exception):
    """A query parameter that cannot be read: answered 400, naming it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


@bp.route("/studies/<slug>/pools")
@bp.route("/studies/<slug>/pools.json", endpoint="pools_json")
@roles_required(*STAFF)
def pools(slug: str):
    """Show (or give as JSON) one round's pooled forecasts and consensus statistics."""
    as_json = request.path.endswith(".json") or request.args.get("format") == "json"
    try:
        number, method, fmt = _parameters()
    except BadParameter as error:
        return _bad(error, as_json)
    as_json = as_json or fmt == "json"
    found, access = study_or_404(slug)
    visible = visible_rounds(found.rounds, round_limit(found, access))
    if number is None:
        chosen = visible[-1] if visible else None
    else:
        chosen = round_or_404(found, number)
        if chosen not in visible:
            abort(
                403,
                gettext("The pooled forecasts of a round are shown to analysts once it closes."),
            )
    payload: dict[str, Any] | None = {"aggregates": [], "consensus": [], "notes": []}
    if chosen is not None:
        from elicit.analysis.round_pools import pools_or_job

        payload = pools_or_job(db.session(), found, chosen, current_app.config.get("REDIS_URL"))
    if payload is None:
        return _computing(found, chosen, visible, as_json)
    rows = [r for r in payload["aggregates"] if method is None or r["method"] == method]
    if as_json:
        return jsonify(
            {
                "study": found.slug,
                "round": None if chosen is None else chosen.number,
                "state": None if chosen is None else chosen.state.value,
                "aggregates": rows,
                "consensus": payload["consensus"],
                "notes": payload["notes"],
            }
        )
    from elicit.analysis.aggregates import DEFAULT_RESAMPLES, DEFAULT_SEED

    return render_template(
        "analysing/pools.html",
        resamples=DEFAULT_RESAMPLES,
        seed=DEFAULT_SEED,
        study=found,
        round=chosen,
        rounds=visible,
        method=method,
        notes=payload["notes"],
        questions=_questions(found, rows, payload["consensus"]),
    )


def _computing(study: Study, chosen: Round | None, visible: list[Round], as_json: bool):
    """Answer while the RQ worker computes the round: 202, and a page that looks again."""
    if as_json:
        body = {"study": study.slug, "round": chosen and chosen.number, "computing": True}
        return jsonify(body), 202
    return render_template(
        "analysing/pools_computing.html", study=study, round=chosen, rounds=visible
    ), 202


def _parameters() -> tuple[int | None, str | None, str]:
    """Read ``round``, ``method`` and ``format``; raise :class:`BadParameter` naming a bad one."""
    from elicit.analysis.aggregates import known_methods

    number = None
    text = request.args.get("round")
    if text is not None:
        if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**31:
            raise BadParameter(
                "round", gettext("round must be a round number (1, 2, ...), not %(v)s.", v=text)
            )
        number = int(text)
    method = request.args.get("method")
    if method is not None and method not in known_methods():
        raise BadParameter(
            "method",
            gettext(
                "method %(v)s is not a pooling method; known: %(known)s.",
                v=method,
                known=", ".join(known_methods()),
            ),
        )
    fmt = request.args.get("format", "html")
    if fmt not in FORMATS:
        raise BadParameter("format", gettext("format must be html or json, not %(v)s.", v=fmt))
    return number, method, fmt


def _bad(error: BadParameter, as_json: bool):
    """Answer 400 naming the parameter: JSON for the JSON variant, else an error page."""
    code = f"bad_{error.name}"
    if as_json:
        return jsonify({"error": {"code": code, "message": error.message}}), 400
    return render_template("error.html", status=400, message=error.message), 400


def _questions(study: Study, rows: list[dict], consensus: list[dict]) -> list[dict[str, Any]]:
    """Group the rows by question, in the study's order, with each question's statistics."""
    by_key = {q.key: q for q in study.questions}
    stats = {row["question_id"]: row for row in consensus}
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["question_id"], []).append(row)
    ordered = sorted(grouped, key=lambda key: by_key[key].position)
    return [
        {"question": by_key[key], "rows": grouped[key], "consensus": stats.get(key)}
        for key in ordered
    ]
