"""The anonymity model: chosen per study before round 1, fixed once it opens, told to experts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from elicit.accounts.models import Role, StudyRole
from elicit.audit import AuditEvent
from elicit.errors import DomainError
from elicit.panels.services import add_expert, issue_invitation
from elicit.rounds.services import open_next_round
from elicit.studies.models import Anonymity, Study
from elicit.studies.services import set_anonymity, study_has_opened
from elicit.studies.sharing import share_study
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_refusals import snapshot

URL = "/facilitate/studies/study/anonymity"
STAFF_BLIND = Anonymity.ANONYMOUS_TO_STAFF.value


@pytest.fixture
def study(session):
    """A study with one question and one invited expert, no round yet."""
    found = factories.study(session)
    factories.question(session, found)
    add_expert(session, found, pseudonym="Alder", name="Ada Lovelace", email="ada@x.test")
    return found


def stored(session, study) -> Anonymity:
    session.expire_all()
    return session.scalar(sa.select(Study.anonymity).where(Study.id == study.id))


def post(client, data):
    token = csrf_token(client.get("/facilitate/studies/study").text)
    return client.post(URL, data={**data, "csrf_token": token})


def test_a_new_study_is_quasi_anonymous(study):
    assert study.anonymity is Anonymity.QUASI_ANONYMOUS
    assert not study_has_opened(study)


def test_the_model_changes_before_round_1_and_is_audited(session, study):
    set_anonymity(session, study, Anonymity.ANONYMOUS_TO_STAFF, actor=study.owner)
    assert stored(session, study) is Anonymity.ANONYMOUS_TO_STAFF
    event = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "study.anonymity")
    ).one()
    assert event.details == {"before": "quasi_anonymous", "after": "anonymous_to_staff"}
    assert event.actor_id == study.owner.id and event.study_id == study.id


def test_the_model_is_fixed_once_round_1_opens(session, study):
    open_next_round(session, study)
    assert study_has_opened(study)
    with pytest.raises(DomainError) as refused:
        set_anonymity(session, study, Anonymity.ANONYMOUS_TO_STAFF)
    assert refused.value.code == "anonymity_fixed"
    assert stored(session, study) is Anonymity.QUASI_ANONYMOUS


def test_the_owner_chooses_on_the_study_page(client, session, study):
    login(client, "fac@example.org", factories.PASSWORD)
    page = client.get("/facilitate/studies/study").text
    assert 'name="anonymity"' in page and "Quasi-anonymous" in page
    response = post(client, {"anonymity": STAFF_BLIND})
    assert response.status_code == 302
    assert stored(session, study) is Anonymity.ANONYMOUS_TO_STAFF
    assert "The anonymity model is saved." in client.get("/facilitate/studies/study").text


def test_a_co_facilitator_may_choose_too(client, session, study):
    helper = factories.user(session, email="co@example.org")
    share_study(session, study, helper.email, StudyRole.CO_FACILITATOR)
    login(client, "co@example.org", factories.PASSWORD)
    assert post(client, {"anonymity": STAFF_BLIND}).status_code == 302
    assert stored(session, study) is Anonymity.ANONYMOUS_TO_STAFF


@pytest.mark.parametrize("value", ["", "public", "quasi"])
def test_a_wrong_choice_is_explained_and_nothing_changes(client, session, study, value):
    login(client, "fac@example.org", factories.PASSWORD)
    before = snapshot(session)
    response = post(client, {"anonymity": value})
    assert response.status_code == 400
    assert "The anonymity model was not saved" in response.text
    assert 'id="anonymity-error"' in response.text
    assert "Choose one of the two anonymity models." in response.text
    assert snapshot(session) == before


def test_after_round_1_the_page_shows_the_model_and_refuses_a_change(client, session, study):
    open_next_round(session, study)
    login(client, "fac@example.org", factories.PASSWORD)
    page = client.get("/facilitate/studies/study").text
    assert 'name="anonymity"' not in page
    assert "Fixed when round 1 opened" in page
    before = snapshot(session)
    response = post(client, {"anonymity": STAFF_BLIND})
    assert response.status_code == 400
    assert "fixed when round 1 opened and cannot change" in response.text
    assert snapshot(session) == before


def test_an_analyst_sees_the_model_but_cannot_change_it(client, session, study):
    analyst = factories.user(session, email="ana@example.org", role=Role.ANALYST)
    share_study(session, study, analyst.email, StudyRole.ANALYST)
    login(client, "ana@example.org", factories.PASSWORD)
    page = client.get("/facilitate/studies/study").text
    assert "Quasi-anonymous" in page and 'name="anonymity"' not in page
    before = snapshot(session)
    assert post(client, {"anonymity": STAFF_BLIND}).status_code == 403
    assert snapshot(session) == before


def test_a_stranger_gets_404(client, session, study):
    factories.user(session, email="other@example.org")
    login(client, "other@example.org", factories.PASSWORD)
    token = csrf_token(client.get("/facilitate/").text)
    assert client.post(URL, data={"anonymity": STAFF_BLIND, "csrf_token": token}).status_code == 404


@pytest.mark.parametrize(
    ("model", "told", "not_told"),
    [
        (Anonymity.QUASI_ANONYMOUS, "can see which answers are yours", "no page shows them"),
        (Anonymity.ANONYMOUS_TO_STAFF, "no page shows them which answers are yours", "can see"),
    ],
)
def test_experts_are_told_the_model_before_they_consent(
    client, session, study, model, told, not_told
):
    study.anonymity = model
    token = issue_invitation(session, study.experts[0])
    open_next_round(session, study)
    client.get(f"/invite/{token}")
    welcome = client.get("/expert/").text
    assert told in welcome and not_told not in welcome
    assert welcome.index(told) < welcome.index('name="agree"')


def test_the_model_is_told_in_polish_too(client, session, study):
    study.anonymity = Anonymity.ANONYMOUS_TO_STAFF
    token = issue_invitation(session, study.experts[0])
    open_next_round(session, study)
    client.get(f"/invite/{token}", headers={"Accept-Language": "pl"})
    welcome = client.get("/expert/", headers={"Accept-Language": "pl"}).text
    assert "żadna strona nie pokazuje im, które odpowiedzi są" in welcome
