"""Which rounds' judgments a user may see: the one rule every analysing page and download applies.

Those who run a study (facilitators it is shared with to run, the owner,
administrators: :attr:`StudyAccess.RUN <elicit.accounts.access.StudyAccess>` and
above) see every round that has opened, the open one live. Analysts see a
round's judgments, and everything computed from them, once it has closed,
unless the study lets them watch the open round too
(``Study.analysts_see_live_pools``, a round setting).

The rule is expressed as a *round limit* (:func:`round_limit`): the highest
round number whose judgments the user may see, or ``None`` for every round.
Rounds open one after the other and close in order, never to open again
(:mod:`elicit.rounds.services`), so the closed rounds are exactly rounds 1 to
the highest closed one, and the limit says as much as a set of rounds would.
The judgment queries (:func:`elicit.analysis.study_data.judgments`, the
exports of :mod:`elicit.analysis.exports`, the calibration report, the
dashboard) take it as ``through_round``.
"""

from __future__ import annotations

from collections.abc import Iterable

from elicit.accounts.access import StudyAccess
from elicit.rounds.models import Round, RoundState
from elicit.studies.models import Study


def sees_live_rounds(study: Study, access: StudyAccess) -> bool:
    """Whether a user with ``access`` to ``study`` sees its open round's judgments."""
    return access >= StudyAccess.RUN or study.analysts_see_live_pools


def last_closed_round(study: Study) -> int:
    """Return the number of ``study``'s highest closed round (0 if none has closed)."""
    return max((r.number for r in study.rounds if r.state is RoundState.CLOSED), default=0)


def round_limit(study: Study, access: StudyAccess) -> int | None:
    """Return the highest round whose judgments a user with ``access`` may see (None: every one).

    0 when the user may see no round yet (an analyst while round 1 is open).
    """
    return None if sees_live_rounds(study, access) else last_closed_round(study)


def within(number: int, limit: int | None) -> bool:
    """Whether round ``number`` is within the round limit ``limit`` (None: every round)."""
    return limit is None or number <= limit


def visible_rounds(rounds: Iterable[Round], limit: int | None) -> list[Round]:
    """Return the rounds that have opened and are within ``limit``, by number."""
    return sorted(
        (r for r in rounds if r.state is not RoundState.DRAFT and within(r.number, limit)),
        key=lambda r: r.number,
    )
