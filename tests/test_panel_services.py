"""Panel services: random pseudonyms, links withdrawn and reissued, stages, SMTP settings."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from elicit import audit, config
from elicit.errors import DomainError
from elicit.judgments.progress import Stage, current_round, panel_stages, pending_experts
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.members import add_member, add_rows
from elicit.panels.models import Invitation
from elicit.panels.roster import read_roster
from elicit.panels.services import (
    issue_invitation,
    link_withdrawn,
    redeem_invitation,
    reissue_invitation,
    revoke_links,
)
from elicit.rounds.services import close_round, create_round, open_round
from tests import factories


@pytest.fixture
def study(session):
    return factories.study(session)


def test_members_get_random_pseudonyms_and_an_audit_entry(session, study):
    first = add_member(session, study, name="Ada Lovelace", email="ada@x.test", group="A")
    second = add_member(session, study, name="Alan Turing", email="alan@x.test")
    assert first.pseudonym != second.pseudonym
    assert all(e.pseudonym.startswith("E-") and len(e.pseudonym) == 8 for e in (first, second))
    actions = session.scalars(
        sa.select(audit.AuditEvent.action).where(audit.AuditEvent.study_id == study.id)
    ).all()
    assert actions.count("expert.add") == 2


def test_a_duplicate_address_is_refused_in_any_case(session, study):
    add_member(session, study, name="Ada", email="ada@x.test")
    with pytest.raises(DomainError) as refused:
        add_member(session, study, name="Ada", email=" ADA@x.test ")
    assert refused.value.code == "duplicate_email"


def test_an_address_on_another_studys_panel_is_fine(session, study):
    other = factories.study(session, owner=study.owner, slug="other")
    add_member(session, other, name="Ada", email="ada@x.test")
    assert add_member(session, study, name="Ada", email="ada@x.test").study_id == study.id


def test_rows_of_a_file_are_added_all_or_none(session, study):
    roster = read_roster(b"name,email\nAda,ada@x.test\nAlan,alan@x.test\n")
    other = factories.study(session, owner=study.owner, slug="other")
    add_member(session, study, name="Alan", email="alan@x.test")
    session.commit()
    with pytest.raises(DomainError) as refused:
        add_rows(session, study, roster.rows)
    assert refused.value.code == "duplicate_email"
    session.rollback()
    assert [e.contact.email for e in study.experts] == ["alan@x.test"]
    assert len(add_rows(session, other, roster.rows)) == 2


def test_reissuing_withdraws_every_working_link_and_the_old_one_reads_withdrawn(session, study):
    expert = add_member(session, study, name="Ada", email="ada@x.test")
    old = issue_invitation(session, expert)
    also_old = issue_invitation(session, expert)
    new = reissue_invitation(session, expert)
    assert redeem_invitation(session, old) is None and redeem_invitation(session, also_old) is None
    assert redeem_invitation(session, new) is not None
    assert link_withdrawn(session, old) and not link_withdrawn(session, new)
    assert not link_withdrawn(session, "never-issued")
    assert revoke_links(session, expert) == 1
    with pytest.raises(DomainError) as refused:
        revoke_links(session, expert)
    assert refused.value.code == "no_link"
    assert session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 3


def test_stages_follow_the_data_and_the_current_round(session, study):
    question = factories.question(session, study)
    experts = [add_member(session, study, name=f"E{n}", email=f"e{n}@x.test") for n in range(3)]
    assert current_round(session, study) is None
    assert set(panel_stages(session, study, None).values()) == {Stage.NOT_INVITED}
    tokens = [issue_invitation(session, expert) for expert in experts]
    redeem_invitation(session, tokens[1])
    first = create_round(session, study)
    open_round(session, first)
    record_judgment(session, experts[2], question, first, Answer(probability=0.4))
    assert current_round(session, study) == first
    stages = panel_stages(session, study, first)
    assert [stages[e.id] for e in experts] == [Stage.INVITED, Stage.OPENED, Stage.SUBMITTED]
    pending = pending_experts(session, first)
    assert sorted(p.expert.id for p in pending) == sorted(e.id for e in experts[:2])
    assert [p.drafts for p in pending] == [0, 0]
    close_round(session, first)
    second = create_round(session, study)
    open_round(session, second)
    assert current_round(session, study) == second
    # an answer in round 1 is not one in round 2; the link was never opened
    assert panel_stages(session, study, second)[experts[2].id] is Stage.INVITED
    revoke_links(session, experts[0])
    assert panel_stages(session, study, second)[experts[0].id] is Stage.NOT_INVITED


def test_smtp_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ELICIT_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("ELICIT_SMTP_FROM", "Elicit <elicit@example.org>")
    monkeypatch.setenv("ELICIT_SMTP_STARTTLS", "no")
    settings = config.load(tmp_path)
    assert settings["SMTP_HOST"] == "smtp.example.org" and settings["SMTP_PORT"] == 587
    assert settings["SMTP_STARTTLS"] is False
    monkeypatch.setenv("ELICIT_SMTP_STARTTLS", "perhaps")
    with pytest.raises(ValueError, match="SMTP_STARTTLS"):
        config.load(tmp_path)
    monkeypatch.setenv("ELICIT_SMTP_STARTTLS", "true")
    monkeypatch.delenv("ELICIT_SMTP_FROM")
    with pytest.raises(ValueError, match="SMTP_FROM"):
        config.load(tmp_path)
