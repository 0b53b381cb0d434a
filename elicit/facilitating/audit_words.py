"""What the audit pages say: each action in words, and an event's details as before and after.

An event's action is stored as a code (``round.close``) and its details as
JSON; the pages never show the code of an action they know, and show the
details as sentences: ``{"before": 3, "after": 5}`` reads "from 3 to 5",
``{"before": {"min_answers": 3}, "after": {"min_answers": 5}}`` reads
"minimum answers before feedback: from 3 to 5" (only what changed), and any
other detail "round: 1". An action or detail this module does not know is
shown by its code, so a new kind of event is never hidden.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

from flask_babel import LazyString, gettext, pgettext
from flask_babel import lazy_gettext as _l

from elicit import formatting

ACTION_NAMES: dict[str, LazyString] = {
    "study.create": _l("Created the study"),
    # TRANSLATORS: an audit trail entry; the anonymity model says who may link an expert to answers.
    "study.anonymity": _l("Changed the anonymity model"),
    "study.feedback_settings": _l("Changed the feedback settings"),
    # TRANSLATORS: an audit trail entry; the target is the e-mail of the staff member shared with.
    "study.share": _l("Shared the study"),
    "study.unshare": _l("Stopped sharing the study"),
    # TRANSLATORS: an audit trail entry: a study was created as a copy of another.
    "study.import": _l("Imported the study from files"),
    "study.clone": _l("Copied the study"),
    "study.archive": _l("Archived the study"),
    "study.unarchive": _l("Unarchived the study"),
    "question.edit": _l("Edited a question"),
    # TRANSLATORS: an audit trail entry: a question is no longer asked; its answers are kept.
    "question.withdraw": _l("Withdrew a question"),
    # TRANSLATORS: an audit trail entry: a corrected question replacing a withdrawn one.
    "question.add": _l("Added a corrected question"),
    # TRANSLATORS: an audit trail entry: questions were added from question-set files.
    "questions.import": _l("Imported questions"),
    # TRANSLATORS: an audit trail entry: how a question turned out was recorded.
    "question.resolve": _l("Resolved a question"),
    # TRANSLATORS: an audit trail entry: the known answer of a calibration question was given.
    "question.realize": _l("Recorded a calibration question's known answer"),
    # TRANSLATORS: an audit trail entry: questions that met their stopping rule stop being asked.
    "questions.settle": _l("Settled questions by their stopping rules"),
    "stopping_rule.set": _l("Set a stopping rule"),
    "stopping_rule.remove": _l("Removed a stopping rule"),
    # TRANSLATORS: an audit trail entry: the stopping rules were fixed, with their hash, as
    # round 1 opened.
    "stopping_rules.register": _l("Registered the stopping rules"),
    # TRANSLATORS: an audit trail entry: the round's closing time was set or moved for everyone.
    "round.extend": _l("Moved a round's closing time"),
    # TRANSLATORS: an audit trail entry: one expert was given a later closing time.
    "round.extend_expert": _l("Gave an expert more time"),
    # TRANSLATORS: an audit trail entry: the study's time zone or pre-filled answers changed.
    "study.round_settings": _l("Changed the round settings"),
    # TRANSLATORS: an audit trail entry: a round was prepared (as a draft) but not opened.
    "round.create": _l("Prepared a round"),
    "round.open": _l("Opened a round"),
    "round.close": _l("Closed a round"),
    "round.submit": _l("An expert submitted their answers"),
    "rationale.hide": _l("Hid a rationale from the panel's feedback"),
    "rationale.show": _l("Showed a rationale in the panel's feedback again"),
    "expert.add": _l("Added an expert to the panel"),
    # TRANSLATORS: an audit trail entry: an expert agreed to take part in the study.
    "expert.consent": _l("An expert consented to take part"),
    # TRANSLATORS: an audit trail entry: an expert's name and e-mail were erased; answers stay.
    "expert.erase": _l("Erased an expert's contact details"),
    "invitation.issue": _l("Issued an invitation link"),
    "invitation.revoke": _l("Revoked an invitation link"),
    "user.create": _l("Created a staff account"),
    "user.deactivate": _l("Deactivated a staff account"),
    "user.activate": _l("Reactivated a staff account"),
    "user.role": _l("Changed a staff member's role"),
    "user.password_reset_sent": _l("Sent a password reset link"),
    "user.password_reset": _l("Reset a password by e-mail link"),
    "user.two_factor_on": _l("Turned on two-factor login"),
    "user.two_factor_off": _l("Turned off two-factor login"),
    # TRANSLATORS: an audit trail entry: an invitation e-mail was put in the outbox.
    "mail.invitation": _l("Queued an invitation e-mail"),
    # TRANSLATORS: an audit trail entry: a reminder e-mail was put in the outbox.
    "mail.reminder": _l("Queued a reminder e-mail"),
}
"""Every action code services record, in words (a test keeps it complete)."""

DETAIL_NAMES: dict[str, LazyString] = {
    # TRANSLATORS: a detail of an audit trail entry: the study's feedback setting of that name.
    "min_answers": _l("minimum answers before feedback"),
    # TRANSLATORS: a detail of an audit trail entry: the study's feedback setting of that name.
    "hide_until_answered": _l("feedback only once answered"),
    "round": _l("round"),
    # TRANSLATORS: a detail of an audit trail entry: how many answers a submission recorded.
    "recorded": _l("answers recorded"),
    "unchanged": _l("answers unchanged"),
    "sets": _l("question sets"),
    "questions": _l("questions"),
    "role": _l("role"),
    # TRANSLATORS: a detail of an audit trail entry: how a question resolved (yes, no, annulled).
    "outcome": _l("outcome"),
    # TRANSLATORS: a detail of an audit trail entry: the number a question resolved to.
    "value": _l("value"),
    # TRANSLATORS: a detail of an audit trail entry: the study a copy was made from.
    "from": _l("copied from"),
    # TRANSLATORS: a detail of an audit trail entry: the study's anonymity model.
    "anonymity": _l("anonymity model"),
    # TRANSLATORS: a detail of an audit trail entry: why a question was withdrawn.
    "reason": _l("reason"),
    # TRANSLATORS: a detail of an audit trail entry: the first round that asked a withdrawn one.
    "asked_in": _l("first asked in round"),
    # TRANSLATORS: a detail of an audit trail entry: the withdrawn question a new one corrects.
    "replaces": _l("replaces"),
    # TRANSLATORS: a detail of an audit trail entry: the first round that asks a question.
    "first_round": _l("first round"),
    # TRANSLATORS: a detail of an audit trail entry: the study's time zone.
    "time_zone": _l("time zone"),
    # TRANSLATORS: a detail of an audit trail entry: whether new rounds start from the
    # expert's previous answers.
    "prefill": _l("previous answers pre-filled"),
    # TRANSLATORS: a detail of an audit trail entry: whether an expert keeps one letter in the
    # feedback for a whole round rather than a fresh one per question.
    "labels_per_round": _l("one feedback letter per round"),
    # TRANSLATORS: a detail of an audit trail entry: the expert (a pseudonym) it concerns.
    "expert": _l("expert"),
    # TRANSLATORS: a detail of an audit trail entry: when the round takes no more answers.
    "closes_at": _l("closes at"),
    # TRANSLATORS: a detail of an audit trail entry: when the round was closed.
    "closed_at": _l("closed at"),
    # TRANSLATORS: a detail of an audit trail entry: a stopping rule's threshold.
    "threshold": _l("threshold"),
    # TRANSLATORS: a detail of an audit trail entry: a stopping rule's band around the median.
    "band": _l("band"),
    # TRANSLATORS: a detail of an audit trail entry: the stopping rules that were registered.
    "rules": _l("rules"),
    # TRANSLATORS: a detail of an audit trail entry: the hash of the registered stopping rules.
    "sha256": _l("SHA-256"),
}
"""The names of details services record; others are shown by their key."""


def value_names() -> dict[str, str]:
    """Name the codes services record as values of details (states, models, roles).

    Each has the context "audit trail value", so that "open" (a round's state
    here) is not translated as elsewhere (a question that has not resolved).
    """
    return {
        # TRANSLATORS: a state of a round, as in "from draft to open".
        "draft": pgettext("audit trail value", "draft"),
        # TRANSLATORS: a state of a round, as in "from draft to open".
        "open": pgettext("audit trail value", "open"),
        # TRANSLATORS: a state of a round, as in "from open to closed".
        "closed": pgettext("audit trail value", "closed"),
        # TRANSLATORS: a rationale in the panel's feedback, as in "from shown to hidden".
        "shown": pgettext("audit trail value", "shown"),
        # TRANSLATORS: a rationale in the panel's feedback, as in "from shown to hidden".
        "hidden": pgettext("audit trail value", "hidden"),
        # TRANSLATORS: an anonymity model, as in "from quasi-anonymous to anonymous to staff".
        "quasi_anonymous": pgettext("audit trail value", "quasi-anonymous"),
        # TRANSLATORS: an anonymity model, as in "from quasi-anonymous to anonymous to staff".
        "anonymous_to_staff": pgettext("audit trail value", "anonymous to staff"),
        # TRANSLATORS: a role in a shared study, as in "from analyst to co-facilitator".
        "co_facilitator": pgettext("audit trail value", "co-facilitator"),
        # TRANSLATORS: a role in a shared study or a staff role, as in "role: analyst".
        "analyst": pgettext("audit trail value", "analyst"),
        # TRANSLATORS: a staff role, as in "role: facilitator".
        "facilitator": pgettext("audit trail value", "facilitator"),
        # TRANSLATORS: a staff role, as in "role: admin".
        "admin": pgettext("audit trail value", "admin"),
        # TRANSLATORS: a setting that is on, or a question that resolved yes.
        "yes": pgettext("audit trail value", "yes"),
        # TRANSLATORS: a setting that is off, or a question that resolved no.
        "no": pgettext("audit trail value", "no"),
        # TRANSLATORS: how a question resolved, as in "outcome: annulled".
        "annulled": pgettext("audit trail value", "annulled"),
    }


def action_name(code: str) -> str:
    """Say what the action ``code`` did, in the request's language (the code itself if unknown)."""
    name = ACTION_NAMES.get(code)
    return str(name) if name is not None else code


def detail_name(key: str) -> str:
    """Name the detail ``key`` in the request's language (the key itself if unknown)."""
    name = DETAIL_NAMES.get(key)
    return str(name) if name is not None else key


MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)")
"""A moment as services record it (ISO 8601 with its offset), shown as a date and time."""


def _moment(text: str) -> dt.datetime | None:
    """Read ``text`` as a recorded moment, or ``None`` if it is not one."""
    if not MOMENT.fullmatch(text):
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def detail_value(value: Any, zone: dt.tzinfo | None = None) -> str:
    """Show one value of an event's details: numbers the locale's way, codes in words, text.

    A recorded moment (a closing time) is shown as a date and time in ``zone``
    (the page's time zone).
    """
    if value is None:
        # TRANSLATORS: a detail that had no value, as in "from analyst to none".
        return pgettext("audit trail value", "none")
    if isinstance(value, bool):
        return detail_value("yes" if value else "no")
    if isinstance(value, str) and (moment := _moment(value)) is not None:
        return formatting.datetime(moment, tzinfo=zone)
    if isinstance(value, int):
        return formatting.integer(value)
    if isinstance(value, float):
        return formatting.typed_number(value)
    if isinstance(value, list):
        return ", ".join(detail_value(item, zone) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value_names().get(str(value), str(value))


def _change(before: Any, after: Any, zone: dt.tzinfo | None) -> str:
    """Say that a value changed from ``before`` to ``after``."""
    old, new = detail_value(before, zone), detail_value(after, zone)
    # TRANSLATORS: an audit trail detail: a setting changed from one value to another.
    return gettext("from %(before)s to %(after)s", before=old, after=new)


def detail_lines(details: Mapping[str, Any], zone: dt.tzinfo | None = None) -> list[str]:
    """Show an event's details as lines: what changed first, then every other detail.

    See the module docstring for the forms ``before`` and ``after`` take;
    moments are shown in ``zone`` (the request's time zone if ``None``).
    """
    lines = []
    before, after = details.get("before"), details.get("after")
    if isinstance(before, dict) or isinstance(after, dict):
        old = before if isinstance(before, dict) else {}
        new = after if isinstance(after, dict) else {}
        for key in dict.fromkeys([*old, *new]):
            if key not in old or key not in new or old[key] != new[key]:
                change = _change(old.get(key), new.get(key), zone)
                lines.append(gettext("%(name)s: %(value)s", name=detail_name(key), value=change))
    elif "before" in details or "after" in details:
        lines.append(_change(before, after, zone))
    for key, value in details.items():
        if key not in ("before", "after"):
            shown = detail_value(value, zone)
            # TRANSLATORS: an audit trail detail: its name and value ("round: 2", "role: from
            # analyst to none").
            lines.append(gettext("%(name)s: %(value)s", name=detail_name(key), value=shown))
    return lines
