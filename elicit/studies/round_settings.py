"""How a study runs its rounds: the time zone its deadlines are set in, and pre-filled answers.

A facilitator types a round's closing time as a wall-clock time in the
study's time zone (an IANA name such as ``Europe/Warsaw``); it is stored in
UTC (:func:`to_utc`). With ``prefill_previous_answers`` a new round's answer
form starts from each expert's answer in the round before.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext
from sqlalchemy.orm import Session

from elicit import audit
from elicit.accounts.models import User
from elicit.errors import DomainError
from elicit.studies.models import Study

TIME_ZONE_MAX = 64
"""The longest time zone name the study's column holds (the longest IANA name has 32)."""


@cache
def time_zone_names() -> tuple[str, ...]:
    """Every IANA time zone name this system knows, sorted (offered as suggestions)."""
    return tuple(sorted(available_timezones() | {"UTC"}))


def zone(name: str) -> ZoneInfo:
    """Return the time zone called ``name``.

    Raises
    ------
    DomainError
        ``unknown_time_zone`` if ``name`` is not an IANA time zone name.
    """
    name = name.strip()
    if 0 < len(name) <= TIME_ZONE_MAX and name in time_zone_names():
        try:
            return ZoneInfo(name)
        except (ValueError, ZoneInfoNotFoundError):
            pass
    raise DomainError(
        "unknown_time_zone",
        # TRANSLATORS: %(name)s is what was typed; Europe/Warsaw is an IANA time zone name.
        gettext("“%(name)s” is not a time zone name such as Europe/Warsaw or UTC", name=name),
    )


def to_utc(study: Study, local: datetime) -> datetime:
    """Read the wall-clock time ``local`` (naive) in ``study``'s time zone and return it in UTC.

    A time the clocks skip when summer time starts does not exist and is
    refused; one they pass twice when it ends is read as the first.

    Raises
    ------
    DomainError
        ``nonexistent_time`` for a skipped time.
    """
    tz = zone(study.time_zone)
    moment = local.replace(tzinfo=tz)
    if moment.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
        raise DomainError(
            "nonexistent_time",
            gettext(
                "there is no %(time)s in %(zone)s that day: the clocks skip it",
                time=local.strftime("%H:%M"),
                zone=study.time_zone,
            ),
        )
    return moment.astimezone(UTC)


def update_round_settings(
    session: Session,
    study: Study,
    *,
    time_zone: str,
    prefill_previous_answers: bool,
    analysts_see_live_pools: bool | None = None,
    feedback_labels_per_round: bool | None = None,
    actor: User | None = None,
) -> None:
    """Set ``study``'s time zone and whether new rounds start from the previous answers.

    With ``analysts_see_live_pools`` (None leaves it as it is), also whether the
    study's analysts see the open round's pooled forecasts live rather than once
    the round closes; with ``feedback_labels_per_round``, whether an expert keeps
    one letter in the feedback for a whole round rather than a fresh one per
    question.

    Raises
    ------
    DomainError
        ``unknown_time_zone`` if ``time_zone`` is not an IANA time zone name.
    """
    name = zone(time_zone).key
    before: dict[str, object] = {
        "time_zone": study.time_zone,
        "prefill": study.prefill_previous_answers,
    }
    after: dict[str, object] = {"time_zone": name, "prefill": prefill_previous_answers}
    if analysts_see_live_pools is not None:
        before["live_pools"] = study.analysts_see_live_pools
        after["live_pools"] = analysts_see_live_pools
        study.analysts_see_live_pools = analysts_see_live_pools
    if feedback_labels_per_round is not None:
        before["labels_per_round"] = study.feedback_labels_per_round
        after["labels_per_round"] = feedback_labels_per_round
        study.feedback_labels_per_round = feedback_labels_per_round
    study.time_zone = name
    study.prefill_previous_answers = prefill_previous_answers
    session.flush()
    audit.record(
        session,
        "study.round_settings",
        actor=actor,
        study_id=study.id,
        target=study.slug,
        details={"before": before, "after": after},
    )
