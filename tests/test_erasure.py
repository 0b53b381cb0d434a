"""Erasing experts' contact details leaves their pseudonymous judgments intact."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from elicit import audit, config
from elicit.audit import AuditEvent
from elicit.judgments.models import Judgment, JudgmentRevision
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.mail.models import MessageState, OutboxMessage
from elicit.mail.outbox import send_invitation
from elicit.maintenance.erasure import GIVEN_UP, erase_contacts, past_retention
from elicit.panels.models import Expert, ExpertContact
from elicit.panels.services import active_invitations
from elicit.rounds.services import close_round, create_round, open_round
from elicit.studies.services import archive_study
from tests import factories


def answers(session) -> list[tuple]:
    """Every judgment and revision, as values (what erasure must not touch)."""
    judgments = session.execute(
        sa.select(
            Judgment.expert_id, Judgment.question_id, Judgment.probability, Judgment.revision
        ).order_by(Judgment.id)
    ).all()
    revisions = session.execute(
        sa.select(JudgmentRevision.judgment_id, JudgmentRevision.probability).order_by(
            JudgmentRevision.id
        )
    ).all()
    return [tuple(row) for row in judgments] + [tuple(row) for row in revisions]


@pytest.fixture
def panel(session, app):
    """Two studies sharing one person (same e-mail) and a second expert, with answers and mail."""
    owner = factories.user(session)
    studies = [factories.study(session, owner, slug=slug) for slug in ("one", "two")]
    experts = {}
    for study in studies:
        question = factories.question(session, study)
        for pseudonym in ("Alder", "Birch"):
            expert = factories.expert(session, study, pseudonym)
            experts[study.slug, pseudonym] = expert
        round_ = create_round(session, study)
        open_round(session, round_)
        for (slug, _), expert in experts.items():
            if slug == study.slug:
                record_judgment(session, expert, question, round_, Answer(probability=0.2))
                record_judgment(session, expert, question, round_, Answer(probability=0.4))
        # Setting up writes, so its request context is a POST (a GET may not write).
        with app.test_request_context(method="POST"):
            for (slug, _), expert in experts.items():
                if slug == study.slug:
                    send_invitation(session, expert, base_url="http://x.test", actor=owner)
        close_round(session, round_)
    session.commit()
    return {"owner": owner, "studies": studies, "experts": experts}


def test_erasing_removes_name_and_email_and_keeps_the_judgments(session, panel):
    before = answers(session)
    alder = panel["experts"]["one", "Alder"]
    assert active_invitations(session, alder)
    assert erase_contacts(session, [alder], reason="request") == 1
    session.expire_all()
    assert answers(session) == before
    alder = session.get(Expert, alder.id)
    assert alder.contact is None and alder.pseudonym == "Alder"
    assert not active_invitations(session, alder)
    emails = session.scalars(sa.select(ExpertContact.email)).all()
    assert "Alder@x.test" in emails  # the same person in study "two" did not ask here
    assert sorted(emails).count("Alder@x.test") == 1
    message = session.scalar(sa.select(OutboxMessage).where(OutboxMessage.expert_id == alder.id))
    assert (message.recipient, message.body, message.state) == ("", "", MessageState.FAILED)
    assert message.error == GIVEN_UP and message.body_erased_at is not None
    entry = session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (entry.action, entry.target, entry.details) == (
        "expert.erase",
        "Alder",
        {"reason": "request"},
    )
    assert audit.verify(session).ok
    assert erase_contacts(session, [alder]) == 0, "erasing again changes nothing"


def test_no_personal_data_is_written_into_the_audit_trail(session, panel):
    """Names and e-mails of experts and staff stay out of the protected table."""
    erase_contacts(session, [panel["experts"]["one", "Birch"]])
    rows = session.execute(sa.select(AuditEvent.target, AuditEvent.details)).all()
    text = " ".join(f"{target} {details}" for target, details in rows)
    for personal in ("@x.test", "Person ", "fac@example.org", "Fran Facilitator"):
        assert personal not in text


def test_the_command_erases_by_email_in_every_study_or_one(session, runner, panel):
    before = answers(session)
    result = runner.invoke(args=["experts", "erase", "--email", "ALDER@x.test", "--study", "two"])
    assert result.exit_code == 0, result.stderr
    assert result.output == "Erased the contact details of two: Alder.\n"
    result = runner.invoke(args=["experts", "erase", "--email", "alder@x.test"])
    assert result.output == "Erased the contact details of one: Alder.\n"
    session.expire_all()
    assert session.scalars(sa.select(ExpertContact.email)).all() == ["Birch@x.test"] * 2
    assert answers(session) == before


def test_the_command_erases_by_expert_id(session, runner, panel):
    birch = panel["experts"]["two", "Birch"]
    result = runner.invoke(args=["experts", "erase", "--expert", str(birch.id), "--study", "one"])
    assert result.exit_code == 2 and "no expert with contact details matches" in result.stderr
    result = runner.invoke(args=["experts", "erase", "--expert", str(birch.id)])
    assert result.exit_code == 0 and "two: Birch" in result.output
    session.expire_all()
    assert session.get(Expert, birch.id).contact is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["experts", "erase"], "give either --email or --expert"),
        (["experts", "erase", "--email", "a@b", "--expert", "1"], "give either"),
        (["experts", "erase", "--email", "nobody@x.test"], "no expert with contact details"),
        (["experts", "erase", "--email", "alder@x.test", "--study", "nope"], "no study 'nope'"),
    ],
)
def test_the_command_refuses_what_it_cannot_do(session, runner, panel, args, message):
    before = session.scalar(sa.select(sa.func.count()).select_from(ExpertContact))
    result = runner.invoke(args=args)
    assert result.exit_code == 2 and message in result.stderr
    assert session.scalar(sa.select(sa.func.count()).select_from(ExpertContact)) == before


def archive_days_ago(session, study, days: int) -> None:
    archive_study(session, study)
    study.archived_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    session.flush()


def test_retention_erases_contacts_of_studies_archived_long_enough_ago(session, runner, app, panel):
    one, two = panel["studies"]
    archive_days_ago(session, one, 40)
    archive_days_ago(session, two, 10)
    assert {e.pseudonym for e in past_retention(session, 30)} == {"Alder", "Birch"}
    before = answers(session)
    app.config["CONTACT_RETENTION_DAYS"] = 30
    try:
        result = runner.invoke(args=["retention", "apply"])
    finally:
        app.config["CONTACT_RETENTION_DAYS"] = None
    assert result.exit_code == 0, result.stderr
    assert result.output == (
        "Erased the contact details of 2 experts of studies archived more than 30 days ago: one.\n"
    )
    session.expire_all()
    kept = session.scalars(
        sa.select(Expert.study_id).join(ExpertContact, ExpertContact.expert_id == Expert.id)
    ).all()
    assert kept == [two.id, two.id]
    assert answers(session) == before
    result = runner.invoke(args=["retention", "apply", "--days", "5"])
    assert "2 experts" in result.output and ": two." in result.output
    result = runner.invoke(args=["retention", "apply", "--days", "5"])
    assert "0 experts" in result.output


def test_retention_needs_a_period(session, runner):
    result = runner.invoke(args=["retention", "apply"])
    assert result.exit_code == 2 and "ELICIT_CONTACT_RETENTION_DAYS" in result.stderr


def test_a_study_not_archived_is_never_past_retention(session, panel):
    assert past_retention(session, 0) == []
    with pytest.raises(ValueError, match="0 or more"):
        past_retention(session, -1)


@pytest.mark.parametrize("value, expected", [("", None), ("365", 365), ("0", 0)])
def test_the_retention_setting_is_read_from_the_environment(monkeypatch, tmp_path, value, expected):
    monkeypatch.setenv("ELICIT_CONTACT_RETENTION_DAYS", value)
    monkeypatch.setenv("ELICIT_SECRET_KEY", "x")
    assert config.load(tmp_path)["CONTACT_RETENTION_DAYS"] == expected


@pytest.mark.parametrize("value", ["-1", "a year", "1.5"])
def test_a_retention_setting_that_is_no_number_of_days_stops_the_start(
    monkeypatch, tmp_path, value
):
    monkeypatch.setenv("ELICIT_CONTACT_RETENTION_DAYS", value)
    monkeypatch.setenv("ELICIT_SECRET_KEY", "x")
    with pytest.raises(ValueError, match="CONTACT_RETENTION_DAYS must be a whole number"):
        config.load(tmp_path)
