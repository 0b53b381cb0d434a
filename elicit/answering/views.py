"""The expert's journey: invitation link, welcome and consent, answering, receipt, own record.

Experts have no account. Opening an invitation link puts the expert's id and
the invitation's id in the (signed) session cookie and redirects to a URL
without the token; every later request checks the invitation is still usable,
so revoking it ends the expert's access at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import wraps
from itertools import groupby
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from elicit.answering.forms import ConsentForm
from elicit.errors import DomainError
from elicit.extensions import db, limiter
from elicit.feedback.charts import format_percent, format_quantity
from elicit.feedback.services import QuestionFeedback, round_feedback
from elicit.judgments import parsing
from elicit.judgments.models import Judgment
from elicit.judgments.record import expert_record
from elicit.judgments.submission import drafts_of, read_answer, save_drafts, submit_round
from elicit.panels.models import Expert, Invitation
from elicit.panels.services import invitation_usable, record_consent, redeem_invitation
from elicit.rounds.models import Round
from elicit.rounds.services import open_round_of, previous_round, round_questions
from elicit.studies.models import Question, QuestionKind

bp = Blueprint("expert", __name__)

SESSION_KEY = "expert"
FAILED_INVITATIONS_LIMIT = "10 per minute; 50 per hour"


@bp.before_app_request
def _load_expert() -> None:
    """Put the signed-in expert (or ``None``) in ``g.expert``, dropping a session that lapsed."""
    g.expert = None
    held = session.get(SESSION_KEY)
    if not isinstance(held, dict):
        return
    invitation = db.session.get(Invitation, held.get("invitation"))
    if (
        invitation is None
        or invitation.expert_id != held.get("id")
        or not invitation_usable(invitation)
    ):
        session.pop(SESSION_KEY, None)
        return
    g.expert = invitation.expert


def expert_required(view):  # noqa: ANN001
    """Let only a signed-in expert through; anyone else gets the page explaining how to enter."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        """Refuse the request unless an expert is signed in (and has consented, where needed)."""
        if g.expert is None:
            return session_ended()
        return view(*args, **kwargs)

    return wrapped


SESSION_ENDED = (
    "Your session has ended. Open your invitation link again to continue; "
    "answers saved before now are kept."
)
STALE_PAGE = (
    "This page was opened in an earlier session, so it could not be saved from. "
    "Reload the page to continue; answers saved before now are kept."
)
_FORM_FIELD = re.compile(r"q(\d+)-(probability|lower|upper|q\d+|confidence|rationale)")


def session_ended(
    message: str = SESSION_ENDED, status: int = 401
) -> tuple[str, int] | tuple[Response, int]:
    """Refuse an expert's request that cannot be saved, showing back anything it carried.

    A form that arrives without a session (it expired while the page was
    open), or that cannot be read, is not thrown away: every answer in it is
    listed so it can be copied.
    """
    if request.is_json:
        code = "session_ended" if status == 401 else "bad_request"
        return jsonify({"error": {"code": code, "message": message}}), status
    typed = []
    for name, value in request.form.items(multi=True):
        match = _FORM_FIELD.fullmatch(name)
        if match and value.strip():
            shown = value.replace("\x00", "")
            typed.append((f"Question {match.group(1)}, {match.group(2)}", shown))
    page = render_template(
        "expert/session_ended.html", message=message, typed=typed, ended=status == 401
    )
    return page, status


def form_refused() -> tuple[str, int] | tuple[Response, int]:
    """Answer an expert's form whose CSRF token was refused.

    The CSRF check runs before the expert is loaded, so the session itself
    tells the two cases apart: still signed in means the page is stale (it
    was opened in an earlier session); not signed in means the session ended.
    """
    return session_ended(STALE_PAGE if session.get(SESSION_KEY) else SESSION_ENDED)


def _after_redemption_limit(response: Response) -> bool:
    """Count only failed redemptions toward the rate limit."""
    return response.status_code == 404


@bp.route("/invite/<token>")
@limiter.limit(FAILED_INVITATIONS_LIMIT, deduct_when=_after_redemption_limit)
def redeem(token: str):
    """Enter the study from an invitation link, then drop the token from the address bar.

    Unknown, revoked and expired links all get the same page and status.
    Opening the link again as the same expert keeps the session (and the
    pages already open in other tabs keep working); another expert's or a
    staff member's session on this browser is ended first.
    """
    invitation = redeem_invitation(db.session, token) if len(token) <= 100 else None
    if invitation is None:
        return render_template("expert/invalid_link.html"), 404
    held = session.get(SESSION_KEY)
    if not (isinstance(held, dict) and held.get("id") == invitation.expert_id):
        session.clear()
    session.permanent = True
    session[SESSION_KEY] = {"id": invitation.expert_id, "invitation": invitation.id}
    return redirect(url_for("expert.home"))


@bp.route("/expert/")
@expert_required
def home():
    """Welcome a new expert (consent first); send one who consented to the open round."""
    expert: Expert = g.expert
    if expert.consented_at is None:
        return render_template("expert/welcome.html", study=expert.study, form=ConsentForm())
    round_ = open_round_of(db.session, expert.study)
    if round_ is None:
        return render_template("expert/no_round.html", study=expert.study)
    return redirect(url_for("expert.answer"))


@bp.route("/expert/consent", methods=["POST"])
@expert_required
def consent():
    """Record the expert's consent, or show the welcome page again with the reason."""
    expert: Expert = g.expert
    form = ConsentForm()
    if not form.validate_on_submit():
        return render_template("expert/welcome.html", study=expert.study, form=form), 400
    record_consent(db.session, expert)
    return redirect(url_for("expert.home"))


@bp.route("/expert/guide")
@expert_required
def guide():
    """How to give probabilities and ranges, with a worked example."""
    return render_template("expert/guide.html", study=g.expert.study)


@dataclass
class QuestionView:
    """One question as the answer page shows it: its inputs, state, errors and feedback."""

    question: Question
    prefix: str
    raw: dict
    status: str
    judgment: Judgment | None
    errors: dict
    feedback: QuestionFeedback | None
    feedback_hidden: bool
    previous: Judgment | None
    answered: bool

    @property
    def fingerprint(self) -> str:
        """Digest of what the inputs show, so a "Save draft" can skip questions left as shown."""
        return parsing.fingerprint(self.raw)


def _consented_expert() -> Expert | None:
    """Return the signed-in expert if they consented; ``None`` sends them to the welcome page."""
    expert: Expert = g.expert
    return expert if expert.consented_at is not None else None


def _round_by_number(number: int) -> Round:
    """Return round ``number`` of the expert's study, or answer 404."""
    round_ = next((r for r in g.expert.study.rounds if r.number == number), None)
    if round_ is None:
        abort(404)
    return round_


def _question_views(
    expert: Expert,
    round_: Round,
    typed: dict[int, dict] | None = None,
    check: bool = False,
) -> list[QuestionView]:
    """Assemble every question of ``round_`` for the answer page.

    What each input shows, in order of precedence: what was just typed (a
    refused submission), the saved draft, the recorded judgment, else empty.
    With ``check``, a draft that breaks a rule carries its problems as errors.
    """
    questions = round_questions(db.session, round_)
    drafts = drafts_of(db.session, expert, round_)
    judgments = {
        j.question_id: j
        for j in db.session.query(Judgment).filter_by(expert_id=expert.id, round_id=round_.id)
    }
    previous = previous_round(db.session, round_)
    feedback: dict[int, QuestionFeedback] = {}
    earlier: dict[int, Judgment] = {}
    if previous is not None:
        feedback = round_feedback(
            db.session,
            previous,
            expert,
            secret=current_app.config["SECRET_KEY"].encode(),
            min_answers=expert.study.feedback_min_answers,
        )
        earlier = {
            j.question_id: j
            for j in db.session.query(Judgment).filter_by(expert_id=expert.id, round_id=previous.id)
        }
    views = []
    for question in questions:
        judgment = judgments.get(question.id)
        draft = drafts.get(question.id)
        if typed and question.id in typed:
            raw = typed[question.id]
        elif draft is not None:
            raw = {**parsing.empty_raw(question), **draft.fields}
        elif judgment is not None:
            raw = parsing.raw_from_values(question, judgment)
        else:
            raw = parsing.empty_raw(question)
        if draft is not None:
            status = "Draft saved, not yet submitted"
        elif judgment is not None:
            status = f"Submitted (version {judgment.revision})"
        else:
            status = "Not answered yet"
        problems = read_answer(question, raw)[1] if draft is not None else {}
        answered = judgment is not None or (draft is not None and not problems)
        hidden = expert.study.hide_feedback_until_answered and not answered
        views.append(
            QuestionView(
                question=question,
                prefix=f"q{question.id}",
                raw=raw,
                status=status,
                judgment=judgment,
                errors=problems if check else {},
                feedback=feedback.get(question.id),
                feedback_hidden=hidden,
                previous=earlier.get(question.id),
                answered=answered,
            )
        )
    return views


def _render_round(
    expert: Expert,
    round_: Round,
    *,
    typed: dict[int, dict] | None = None,
    check: bool = False,
    problem: str | None = None,
    status: int = 200,
):
    """Render the answer page for ``round_`` (see :func:`_question_views`)."""
    views = _question_views(expert, round_, typed, check)
    error_count = sum(bool(v.errors) for v in views)
    if error_count and problem is None:
        problem = (
            "Some answers need attention; nothing was submitted yet. "
            "Everything you typed is saved as a draft."
        )
    sections = [
        (title, list(items)) for title, items in groupby(views, lambda v: v.question.section)
    ]
    return (
        render_template(
            "expert/round.html",
            study=expert.study,
            round=round_,
            sections=sections,
            answered=sum(v.answered for v in views),
            total=len(views),
            error_count=error_count,
            problem=problem,
            open=round_.state.value == "open",
        ),
        status,
    )


@bp.route("/expert/round")
@expert_required
def answer():
    """Show the open round's questions, with drafts, recorded answers and the panel's feedback.

    With ``?check=1`` (where a refused submission lands) each draft that breaks
    a rule has its problems shown beside its fields.
    """
    expert = _consented_expert()
    if expert is None:
        return redirect(url_for("expert.home"))
    round_ = open_round_of(db.session, expert.study)
    if round_ is None:
        return render_template("expert/no_round.html", study=expert.study)
    return _render_round(expert, round_, check=bool(request.args.get("check")))


def _typed_answers(round_: Round) -> tuple[dict[int, dict], list[tuple[str, str]]]:
    """Read every question's raw answer from the submitted form.

    Returns the answers to the questions the round asks, and the title and
    typed text of any question on the form that the round no longer asks (it
    closed or resolved while the page was open), so that text is not dropped
    unseen.
    """
    asked = {question.id: question for question in round_questions(db.session, round_)}
    typed, orphaned = {}, []
    on_form = {
        int(m.group(1)) for m in map(re.compile(r"q(\d+)-present").fullmatch, request.form) if m
    }
    for question_id in sorted(on_form):
        question = asked.get(question_id) or db.session.get(Question, question_id)
        if question is None or question.study_id != round_.study_id:
            continue
        raw = parsing.raw_from_form(question, request.form, f"q{question_id}")
        if question_id in asked:
            typed[question_id] = raw
        elif not parsing.is_blank(raw):
            texts = [raw[n] for n in ("lower", "probability", "upper", "rationale") if raw[n]]
            orphaned.append((question.title, " / ".join([*raw["quantile_values"], *texts])))
    return typed, orphaned


@bp.route("/expert/rounds/<int:number>/answers", methods=["POST"])
@expert_required
def submit(number: int):
    """Save the form as drafts ("Save draft") or record it ("Submit round").

    A refused submission keeps everything as drafts and redirects to the page
    with each problem beside its field (so a reload never sends the form
    again); a round that closed meanwhile is refused with the typed values
    still on the page, since they can no longer be saved.
    """
    expert = _consented_expert()
    if expert is None:
        return redirect(url_for("expert.home"))
    round_ = _round_by_number(number)
    typed, orphaned = _typed_answers(round_)
    if orphaned:
        closed = "; ".join(f"“{title}”: you typed {text}" for title, text in orphaned)
        problem = (
            "Some questions closed while this page was open, so answers to them can no longer "
            f"be saved ({closed}). Nothing was saved; check the page and send it again."
        )
        return _render_round(expert, round_, typed=typed, problem=problem, status=409)
    action = request.form.get("action", "draft")
    try:
        if action == "submit":
            result = submit_round(db.session, expert, round_, typed)
        else:
            changed = {
                question_id: raw
                for question_id, raw in typed.items()
                if parsing.fingerprint(raw) != request.form.get(f"q{question_id}-shown")
            }
            save_drafts(db.session, expert, round_, changed)
            return redirect(url_for("expert.answer", saved=1))
    except DomainError as error:
        status = 409 if error.code in ("round_closed", "round_not_open") else 400
        return _render_round(expert, round_, typed=typed, problem=error.message, status=status)
    if result.errors:
        return redirect(url_for("expert.answer", check=1))
    return redirect(url_for("expert.receipt", number=number))


@bp.route("/expert/rounds/<int:number>/drafts", methods=["POST"])
@expert_required
def autosave(number: int):
    """Save drafts sent as JSON ``{"answers": {"<question id>": {field: text}}}``.

    Answers the round no longer asks (the question closed meanwhile) are
    listed back under ``closed`` and the rest are saved; ``complete`` lists the
    questions whose saved answer would be accepted on submission.
    """
    expert = _consented_expert()
    if expert is None:
        abort(403, "Consent to take part first.")
    round_ = _round_by_number(number)
    try:
        payload = request.get_json(silent=True)
    except RecursionError:
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("answers"), dict):
        abort(400, 'Send {"answers": {...}} as JSON.')
    questions = {str(q.id): q for q in round_questions(db.session, round_)}
    raw_answers, closed = {}, []
    for key, data in payload["answers"].items():
        question = questions.get(key)
        if question is None:
            closed.append(key)
            continue
        try:
            raw_answers[question.id] = parsing.raw_from_json(question, data)
        except ValueError as error:
            abort(400, f"Question {key}: {error}")
    try:
        save_drafts(db.session, expert, round_, raw_answers)
    except DomainError as error:
        status = 409 if error.code in ("round_closed", "round_not_open") else 400
        return jsonify({"error": {"code": error.code, "message": error.message}}), status
    valid = [
        str(question_id)
        for question_id, raw in raw_answers.items()
        if not read_answer(questions[str(question_id)], raw)[1]
    ]
    return jsonify(
        {"saved": sorted(map(str, raw_answers)), "complete": sorted(valid), "closed": closed}
    )


@bp.route("/expert/rounds/<int:number>/receipt")
@expert_required
def receipt(number: int):
    """List exactly what is recorded for the expert in round ``number``."""
    expert = _consented_expert()
    if expert is None:
        return redirect(url_for("expert.home"))
    round_ = _round_by_number(number)
    judgments = (
        db.session.query(Judgment)
        .join(Question)
        .filter(Judgment.expert_id == expert.id, Judgment.round_id == round_.id)
        .order_by(Question.position)
        .all()
    )
    pending = len(drafts_of(db.session, expert, round_))
    return render_template(
        "expert/receipt.html",
        study=expert.study,
        round=round_,
        judgments=judgments,
        pending=pending,
    )


@bp.route("/expert/record")
@expert_required
def record():
    """Show the expert's own answers across rounds, with scores once questions resolve."""
    expert = _consented_expert()
    if expert is None:
        return redirect(url_for("expert.home"))
    return render_template(
        "expert/record.html",
        study=expert.study,
        expert=expert,
        records=expert_record(db.session, expert),
    )


@bp.route("/expert/leave", methods=["POST"])
def leave():
    """End the expert's session on this device (the link still works later)."""
    session.pop(SESSION_KEY, None)
    return render_template("expert/left.html")


@bp.app_template_filter("answer")
def describe_answer(values: Any, question: Question) -> str:
    """Show a recorded answer exactly as stored: ``35 %``, ``20 % to 50 %, best 35 %``, ..."""
    if question.kind is QuestionKind.QUANTITY:
        levels = question.quantiles or []
        parts = [
            f"{ordinal(level)}: {parsing.plain_number(value)}"
            for level, value in zip(levels, values.quantile_values or [], strict=False)
        ]
        return "; ".join(parts) + (f" {question.unit}" if question.unit else "")
    if question.kind is QuestionKind.BINARY_INTERVAL:
        return (
            f"{parsing.percent(values.lower)} % to {parsing.percent(values.upper)} %, "
            f"best {parsing.percent(values.probability)} %"
        )
    return f"{parsing.percent(values.probability)} %"


@bp.app_template_filter("ordinal")
def ordinal(level: float) -> str:
    """Name a quantile level as a percentile: 0.05 -> ``5th``, 0.333 -> ``33.3rd``."""
    number = round(level * 100, 1)
    whole = int(number)
    if number != whole or 10 <= whole % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(whole % 10, "th")
    return f"{number:g}{suffix}"


@bp.app_template_filter("figure")
def figure(value: float, question: Question) -> str:
    """Show one number of ``question``'s answers: a percentage, or a quantity in its unit."""
    if question.kind is QuestionKind.QUANTITY:
        return format_quantity(value) + (f" {question.unit}" if question.unit else "")
    return format_percent(value)
