"""The panel page: who sees what under each anonymity model, adding experts, files and links."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from elicit.accounts.models import Role, StudyRole
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment, save_drafts
from elicit.mail.models import MessageKind, MessageState, OutboxMessage
from elicit.panels.models import Expert, ExpertContact, Invitation
from elicit.panels.services import add_expert, issue_invitation, record_consent, redeem_invitation
from elicit.rounds.services import create_round, open_round
from elicit.studies.models import Anonymity
from elicit.studies.sharing import share_study
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_refusals import snapshot

BASE_URL = "https://elicit.example.org"
PANEL = "/facilitate/studies/study/panel"


@pytest.fixture
def world(app, session):
    """A study with a question, an open round 1 and six experts, one at each stage."""
    app.config["BASE_URL"] = BASE_URL
    owner = factories.user(session)
    study = factories.study(session, owner=owner)
    question = factories.question(session, study)
    for email, role, staff_role in [
        ("co@example.org", Role.FACILITATOR, StudyRole.CO_FACILITATOR),
        ("an@example.org", Role.ANALYST, StudyRole.ANALYST),
    ]:
        factories.user(session, email=email, role=role, name=email)
        share_study(session, study, email, staff_role)
    factories.user(session, email="other@example.org", name="Other Facilitator")
    experts = {
        stage: add_expert(
            session,
            study,
            pseudonym=f"P-{stage}",
            name=f"Name {stage}",
            email=f"{stage}@x.test",
            panel_group="Officials" if stage == "submitted" else "",
        )
        for stage in ("none", "invited", "opened", "consented", "draft", "submitted")
    }
    round_ = create_round(session, study)
    open_round(session, round_)
    for stage in ("invited", "opened", "consented", "draft", "submitted"):
        token = issue_invitation(session, experts[stage])
        if stage != "invited":
            redeem_invitation(session, token)
        if stage in ("consented", "draft", "submitted"):
            record_consent(session, experts[stage])
    save_drafts(session, experts["draft"], round_, {question.id: {"probability": "4"}})
    record_judgment(session, experts["submitted"], question, round_, Answer(probability=0.3))
    session.commit()
    return {"study": study, "experts": experts, "round": round_}


def _as(client, email="fac@example.org"):
    login(client, email, factories.PASSWORD)
    return client


def _post(client, url, data=None, **kwargs):
    token = csrf_token(client.get("/facilitate/").text)
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


def _rows(html):
    return html.split("<tbody>")[1].split("</tbody>")[0]


def test_the_owner_sees_names_emails_pseudonyms_groups_and_each_stage(client, world):
    page = _as(client).get(PANEL)
    assert page.status_code == 200
    rows = _rows(page.text)
    for stage, word in [
        ("none", "not invited"),
        ("invited", "invited"),
        ("opened", "opened the link"),
        ("consented", "consented"),
        ("draft", "draft"),
        ("submitted", "submitted"),
    ]:
        row = rows.split(f"Name {stage}</th>")[1].split("</tr>")[0]
        assert f"{stage}@x.test" in row and f"P-{stage}" in row
        assert f">{word}</span>" in row, stage
    assert "Officials" in rows
    assert ">Pseudonym</th>" in page.text


def test_anonymous_to_staff_shows_names_and_status_but_no_pseudonym(client, world, session):
    world["study"].anonymity = Anonymity.ANONYMOUS_TO_STAFF
    session.commit()
    page = _as(client).get(PANEL)
    assert page.status_code == 200
    assert "Name submitted" in page.text and ">submitted</span>" in page.text
    assert "Pseudonym" not in page.text
    assert "P-submitted" not in page.text


def test_an_analyst_sees_pseudonyms_and_stages_but_never_a_name_or_address(client, world):
    page = _as(client, "an@example.org").get(PANEL)
    assert page.status_code == 200
    assert "P-submitted" in page.text and ">submitted</span>" in page.text
    assert "Name submitted" not in page.text and "@x.test" not in page.text
    assert "Add an expert" not in page.text


def test_a_stranger_gets_404_and_the_study_page_links_the_panel(client, world):
    assert _as(client, "other@example.org").get(PANEL).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/facilitate/").text)})
    study_page = _as(client).get("/facilitate/studies/study")
    assert f'href="{PANEL}"' in study_page.text


@pytest.mark.parametrize("who", ["fac@example.org", "co@example.org"])
def test_the_owner_and_a_co_facilitator_add_an_expert(client, world, session, who):
    answer = _post(
        _as(client, who),
        f"{PANEL}/experts",
        {"name": " Ada Lovelace ", "email": "ada@x.test", "group": "Academics"},
    )
    assert answer.status_code == 302
    expert = session.scalar(
        sa.select(Expert).join(ExpertContact).where(ExpertContact.email == "ada@x.test")
    )
    assert expert.contact.name == "Ada Lovelace" and expert.panel_group == "Academics"
    assert expert.pseudonym.startswith("E-") and "Ada" not in expert.pseudonym


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "email": "a@x.test"}, "Enter the expert's name."),
        ({"name": "Ada", "email": "not-an-address"}, "not-an-address is not an e-mail address"),
        ({"name": "Ada", "email": "SUBMITTED@x.test"}, "already on the panel"),
        ({"name": "Ada", "email": "a@x.test", "group": "g" * 121}, "at most 120 characters"),
    ],
    ids=["no-name", "bad-email", "duplicate", "long-group"],
)
def test_bad_input_shows_the_page_again_with_the_reason_and_saves_nothing(
    client, world, session, data, message
):
    _as(client)
    before = snapshot(session)
    answer = _post(client, f"{PANEL}/experts", data)
    assert answer.status_code == 400
    assert 'class="error-summary"' in answer.text and message in answer.text
    assert 'class="error" id=' in answer.text
    assert f'value="{data["email"]}"' in answer.text
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (f"{PANEL}/experts", {"name": "Ada", "email": "ada@x.test"}),
        (f"{PANEL}/upload/confirm", {"content": "bmFtZSxlbWFpbApBZGEsYWRhQHgudGVzdAo="}),
        (f"{PANEL}/links.csv", {}),
        (f"{PANEL}/invite", {}),
        (f"{PANEL}/remind", {}),
        (f"{PANEL}/experts/{{id}}/link.csv", {}),
        (f"{PANEL}/experts/{{id}}/email", {}),
        (f"{PANEL}/experts/{{id}}/revoke", {}),
    ],
)
@pytest.mark.parametrize(("who", "status"), [("an@example.org", 403), ("other@example.org", 404)])
def test_analysts_and_strangers_change_nothing(client, world, session, url, data, who, status):
    url = url.format(id=world["experts"]["invited"].id)
    _as(client, who)
    before = snapshot(session)
    assert _post(client, url, data).status_code == status
    assert snapshot(session) == before


def test_an_expert_of_another_study_or_a_huge_id_is_404(client, world, session):
    other = factories.study(session, owner=world["study"].owner, slug="other")
    stranger = add_expert(session, other, pseudonym="X", name="X", email="x@x.test")
    session.commit()
    _as(client)
    before = snapshot(session)
    for expert_id in (stranger.id, 2**31, 10**30):
        assert _post(client, f"{PANEL}/experts/{expert_id}/revoke").status_code == 404
    assert snapshot(session) == before


def _csv(response):
    return list(csv.DictReader(io.StringIO(response.text)))


def test_issue_and_download_gives_links_on_the_base_url_to_experts_without_one(
    client, world, session
):
    _as(client)
    answer = _post(client, f"{PANEL}/links.csv")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv" and "attachment" in answer.headers["Content-Disposition"]
    rows = _csv(answer)
    assert [(r["name"], r["email"]) for r in rows] == [("Name none", "none@x.test")]
    link = rows[0]["link"]
    assert link.startswith(f"{BASE_URL}/invite/")
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/facilitate/").text)})
    entered = client.get(link.removeprefix(BASE_URL))
    assert entered.status_code == 302 and entered.headers["Location"].endswith("/expert/")
    again = _as(client).post(
        f"{PANEL}/links.csv", data={"csrf_token": csrf_token(client.get(PANEL).text)}
    )
    assert again.status_code == 302
    assert "Every expert already has a working link" in client.get(PANEL).text


def test_reissuing_withdraws_the_old_link_which_then_says_so_in_polish_too(client, world):
    expert = world["experts"]["none"]
    _as(client)
    first = _csv(_post(client, f"{PANEL}/experts/{expert.id}/link.csv"))[0]["link"]
    second = _csv(_post(client, f"{PANEL}/experts/{expert.id}/link.csv"))[0]["link"]
    assert first != second
    old = client.get(first.removeprefix(BASE_URL))
    assert old.status_code == 410
    assert "This link has been withdrawn" in old.text and "contact the facilitator" in old.text
    polish = client.get(first.removeprefix(BASE_URL), headers={"Accept-Language": "pl"})
    assert "wycofa" in polish.text
    unknown = client.get("/invite/" + "x" * 43)
    assert unknown.status_code == 404 and "has been withdrawn" not in unknown.text
    assert client.get(second.removeprefix(BASE_URL)).status_code == 302


def test_withdrawing_a_link_ends_it_and_an_expert_without_one_is_refused(client, world, session):
    expert = world["experts"]["invited"]
    _as(client)
    assert _post(client, f"{PANEL}/experts/{expert.id}/revoke").status_code == 302
    live = session.scalars(
        sa.select(Invitation).where(
            Invitation.expert_id == expert.id, Invitation.revoked_at.is_(None)
        )
    ).all()
    assert live == []
    before = snapshot(session)
    assert _post(client, f"{PANEL}/experts/{expert.id}/revoke").status_code == 302
    assert "No link was withdrawn" in client.get(PANEL).text
    assert snapshot(session) == before


def _messages(session):
    session.expire_all()
    return session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_e_mailing_invitations_queues_one_message_per_expert_without_a_link(client, world, session):
    _as(client)
    assert _post(client, f"{PANEL}/invite").status_code == 302
    (message,) = _messages(session)
    assert message.kind is MessageKind.INVITATION and message.state is MessageState.QUEUED
    assert message.recipient == "none@x.test"
    assert f"{BASE_URL}/invite/" in message.body
    outbox = client.get("/facilitate/studies/study/outbox")
    assert outbox.status_code == 200
    assert "none@x.test" in outbox.text and ">queued</span>" in outbox.text
    assert "/invite/" not in outbox.text


def test_reminders_go_only_to_experts_with_a_link_who_have_not_submitted(client, world, session):
    _as(client)
    assert _post(client, f"{PANEL}/remind").status_code == 302
    recipients = {m.recipient for m in _messages(session)}
    assert recipients == {f"{s}@x.test" for s in ("invited", "opened", "consented", "draft")}
    assert all(m.kind is MessageKind.REMINDER for m in _messages(session))


def test_the_outbox_is_not_for_analysts(client, world):
    assert _as(client, "an@example.org").get("/facilitate/studies/study/outbox").status_code == 403
