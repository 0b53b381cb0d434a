"""A small study with resolved questions, built through the real services (calibration tests)."""

from __future__ import annotations

from datetime import date

from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert
from elicit.rounds.services import close_round, open_next_round
from elicit.studies.models import Outcome, QuestionKind
from elicit.studies.services import record_realization, resolve_question
from tests import factories

PROBABILITIES = {
    # question: (outcome, round-2 probabilities of Alder, Birch, Cedar)
    "b1": (Outcome.YES, (0.8, 0.6, 0.3)),
    "b2": (Outcome.NO, (0.2, 0.5, 0.1)),
    "b3": (Outcome.YES, (0.9, 0.4, 0.7)),
    "b4": (Outcome.NO, (0.3, 0.2, 0.6)),
}
QUANTITIES = {
    # question: (realization or None, each expert's 5th, 50th and 95th percentiles)
    "s1": (12.0, ((8, 11, 15), (2, 5, 9), (10, 20, 40))),
    "s2": (3.0, ((1, 2.5, 4), (2, 4, 6), (0.5, 1, 2))),
    "t1": (None, ((100, 150, 200), (120, 140, 190), (50, 160, 300))),
}
EXPERTS = ("Alder", "Birch", "Cedar")


def build(session, slug="calib", owner=None):
    """Two rounds of three experts on four binary questions, one three-point, three quantities.

    The binary questions and the three-point one resolve; two quantities are
    calibration questions with realizations, one a target.
    """
    owner = owner or factories.user(session)
    study = factories.study(session, owner=owner, slug=slug)
    binary = {k: factories.question(session, study, key=k) for k in PROBABILITIES}
    interval = factories.question(session, study, key="i1", kind=QuestionKind.BINARY_INTERVAL)
    quantity = {
        k: factories.question(
            session,
            study,
            key=k,
            kind=QuestionKind.QUANTITY,
            calibration=value is not None,
            lower_bound=0,
        )
        for k, (value, _) in QUANTITIES.items()
    }
    experts = [
        add_expert(session, study, pseudonym=p, name=f"Name {p}", email=f"{p}@x.test")
        for p in EXPERTS
    ]
    for number in (1, 2):
        round_ = open_next_round(session, study)
        for e, expert in enumerate(experts):
            for key, (_, probabilities) in PROBABILITIES.items():
                p = probabilities[e] if number == 2 else 0.5
                record_judgment(session, expert, binary[key], round_, Answer(probability=p))
            best = (0.3, 0.6, 0.8)[e] if number == 2 else 0.5
            record_judgment(
                session,
                expert,
                interval,
                round_,
                Answer(lower=best / 2, probability=best, upper=(1 + best) / 2),
            )
            for key, (_, answers) in QUANTITIES.items():
                record_judgment(
                    session,
                    expert,
                    quantity[key],
                    round_,
                    Answer(quantile_values=[float(v) for v in answers[e]]),
                )
        close_round(session, round_)
    for key, (outcome, _) in PROBABILITIES.items():
        resolve_question(
            session,
            binary[key],
            outcome=outcome,
            source="s",
            resolved_on=date(2027, 6, 1),
            actor=owner,
        )
    resolve_question(
        session,
        interval,
        outcome=Outcome.YES,
        source="s",
        resolved_on=date(2027, 6, 1),
        actor=owner,
    )
    for key, (value, _) in QUANTITIES.items():
        if value is not None:
            record_realization(session, quantity[key], value, actor=owner)
    session.flush()
    return study
