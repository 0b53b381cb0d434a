"""Sharing a study: the services and their audit entries, and the sharing page for every role."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from elicit.accounts.models import Role, StudyMember, StudyRole
from elicit.audit import AuditEvent
from elicit.errors import DomainError
from elicit.studies.models import Study
from elicit.studies.sharing import members, share_study, unshare_study
from elicit.web import ID_MAX
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_refusals import snapshot

SHARING = "/facilitate/studies/study/sharing"


def text_of(response) -> str:
    """The text of the page's ``<main>``, without tags, entities decoded, whitespace collapsed."""
    main = response.text.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", "<main" + main)))


def checked(page: str) -> list[str]:
    """The values of the radio buttons checked on ``page``."""
    return re.findall(r'<input [^>]*\bchecked\b[^>]*value="([^"]+)"', page)


def shared_roles(session, study) -> dict[str, StudyRole]:
    """Who ``study`` is shared with, by e-mail address, read afresh from the database."""
    session.expire_all()
    return {member.user.email: member.role for member in members(session, study)}


def audit_entries(session, action: str) -> list[AuditEvent]:
    """Every audit entry of ``action``, oldest first."""
    return list(
        session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def world(session):
    """A study of Fran's shared with Cole (co-facilitator) and Ann (analyst).

    Also on the staff: Ada the admin, Stan (a facilitator it is not shared
    with), Nell (a facilitator to share it with) and Andy (an analyst account).
    """
    owner = factories.user(session)
    people = {
        "cofac": factories.user(session, email="cole@example.org", name="Cole Colleague"),
        "analyst": factories.user(
            session, email="ann@example.org", role=Role.ANALYST, name="Ann Analyst"
        ),
        "admin": factories.user(
            session, email="ada@example.org", role=Role.ADMIN, name="Ada Admin"
        ),
        "stranger": factories.user(session, email="stan@example.org", name="Stan Stranger"),
        "new": factories.user(session, email="nell@example.org", name="Nell New"),
        "other_analyst": factories.user(
            session, email="andy@example.org", role=Role.ANALYST, name="Andy Analyst"
        ),
    }
    study = factories.study(session, owner=owner)
    factories.study(session, owner=people["stranger"], slug="elsewhere")
    share_study(session, study, "cole@example.org", StudyRole.CO_FACILITATOR)
    analyst_member = share_study(session, study, "ann@example.org", StudyRole.ANALYST)
    session.commit()
    return {"owner": owner, "study": study, "member": analyst_member, **people}


# The services


def test_sharing_adds_a_member_and_records_who_did_it(session, world):
    study, owner = world["study"], world["owner"]
    member = share_study(session, study, " NELL@example.org", StudyRole.ANALYST, actor=owner)
    assert member.user is world["new"] and member.role is StudyRole.ANALYST
    entry = audit_entries(session, "study.share")[-1]
    assert (entry.actor_id, entry.study_id, entry.target, entry.target_user_id) == (
        owner.id,
        study.id,
        "",
        world["new"].id,
    )
    assert entry.details == {"before": None, "after": "analyst"}


def test_sharing_again_changes_the_role_and_records_before_and_after(session, world):
    study = world["study"]
    share_study(session, study, "cole@example.org", StudyRole.ANALYST, actor=world["owner"])
    assert shared_roles(session, study)["cole@example.org"] is StudyRole.ANALYST
    assert session.scalar(sa.select(sa.func.count()).select_from(StudyMember)) == 2
    entry = audit_entries(session, "study.share")[-1]
    assert entry.details == {"before": "co_facilitator", "after": "analyst"}


@pytest.mark.parametrize(
    ("email", "role", "code"),
    [
        ("nobody@example.org", StudyRole.ANALYST, "unknown_user"),
        ("fac@example.org", StudyRole.CO_FACILITATOR, "owner"),
        ("andy@example.org", StudyRole.CO_FACILITATOR, "role_not_allowed"),
        ("ann@example.org", StudyRole.CO_FACILITATOR, "role_not_allowed"),
    ],
)
def test_sharing_is_refused_for_the_wrong_people(session, world, email, role, code):
    before = snapshot(session)
    with pytest.raises(DomainError) as caught:
        share_study(session, world["study"], email, role)
    assert caught.value.code == code
    assert snapshot(session) == before


def test_a_deactivated_account_cannot_be_shared_with(session, world):
    world["new"].active = False
    with pytest.raises(DomainError) as caught:
        share_study(session, world["study"], "nell@example.org", StudyRole.ANALYST)
    assert caught.value.code == "unknown_user"


def test_unsharing_removes_the_member_and_records_its_role(session, world):
    study = world["study"]
    unshare_study(session, study, world["member"], actor=world["owner"])
    assert shared_roles(session, study) == {"cole@example.org": StudyRole.CO_FACILITATOR}
    entry = audit_entries(session, "study.unshare")[-1]
    assert entry.actor_id == world["owner"].id
    assert (entry.target, entry.target_user_id) == ("", world["member"].user_id)
    assert entry.details == {"before": "analyst", "after": None}


def test_members_are_listed_in_the_order_they_were_shared_with(session, world):
    share_study(session, world["study"], "nell@example.org", StudyRole.CO_FACILITATOR)
    assert list(shared_roles(session, world["study"])) == [
        "cole@example.org",
        "ann@example.org",
        "nell@example.org",
    ]


# The pages, for every role


EMAILS = {
    "owner": "fac@example.org",
    "cofac": "cole@example.org",
    "analyst": "ann@example.org",
    "admin": "ada@example.org",
    "stranger": "stan@example.org",
}


def as_user(client, who: str):
    """Log ``client`` in as ``who`` (a key of :data:`EMAILS`); ``None`` stays logged out."""
    if who is not None:
        assert login(client, EMAILS[who], factories.PASSWORD).status_code == 302
    return client


def token(client) -> str:
    """A valid CSRF token for ``client``'s session, logged in or not."""
    return csrf_token(client.get("/login", follow_redirects=True).text)


def post(client, url, data=None):
    """POST ``data`` to ``url`` with a valid CSRF token, as a browser would."""
    return client.post(url, data={**(data or {}), "csrf_token": token(client)})


def send(client, world, request: str):
    """Send one of the sharing page's requests, named as in the table below."""
    if request == "view":
        return client.get(SHARING)
    if request == "share":
        return post(client, SHARING, {"email": "nell@example.org", "role": "analyst"})
    return post(client, f"{SHARING}/{world['member'].id}/remove")


ACCESS = [
    # who, view, share, remove
    ("owner", 200, 302, 302),
    ("admin", 200, 302, 302),
    ("cofac", 200, 403, 403),
    ("analyst", 200, 403, 403),
    ("stranger", 404, 404, 404),
]


@pytest.mark.parametrize(
    ("who", "request_name", "status"),
    [
        (who, name, status)
        for who, *statuses in ACCESS
        for name, status in zip(("view", "share", "remove"), statuses, strict=True)
    ],
)
def test_each_role_gets_the_expected_status(session, client, world, who, request_name, status):
    as_user(client, who)
    before = snapshot(session)
    response = send(client, world, request_name)
    assert response.status_code == status
    if request_name != "view" and status != 302:
        assert snapshot(session) == before
    if request_name == "share" and status == 302:
        assert shared_roles(session, world["study"])["nell@example.org"] is StudyRole.ANALYST
    if request_name == "remove" and status == 302:
        assert "ann@example.org" not in shared_roles(session, world["study"])


@pytest.mark.parametrize("request_name", ["view", "share", "remove"])
def test_without_a_login_the_sharing_page_asks_for_one(session, client, world, request_name):
    before = snapshot(session)
    response = send(client, world, request_name)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert snapshot(session) == before


def test_everyone_who_sees_the_study_sees_who_it_is_shared_with(client, world):
    as_user(client, "analyst")
    page = client.get(SHARING)
    text = text_of(page)
    assert text.index("Fran Facilitator") < text.index("Cole Colleague") < text.index("Ann Analyst")
    assert "fac@example.org owner" in text
    assert "cole@example.org co-facilitator" in text and "ann@example.org analyst" in text
    assert 'name="email"' not in page.text and "/remove" not in page.text
    study_page = client.get("/facilitate/studies/study").text
    assert f'href="{SHARING}"' in study_page


def test_the_owner_gets_the_form_and_a_remove_button_per_member(client, world):
    as_user(client, "owner")
    page = client.get(SHARING).text
    assert 'name="email"' in page and checked(page) == ["co_facilitator"]
    assert f"{SHARING}/{world['member'].id}/remove" in page
    assert page.count("/remove") == 2


def test_the_owner_shares_and_the_colleague_then_sees_the_study(session, client, world):
    as_user(client, "owner")
    response = post(client, SHARING, {"email": "nell@example.org", "role": "co_facilitator"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "Nell New is now a co-facilitator of this study." in text_of(page)
    entry = audit_entries(session, "study.share")[-1]
    assert entry.actor_id == world["owner"].id and entry.target == ""
    assert entry.target_user_id == world["new"].id
    client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    login(client, "nell@example.org", factories.PASSWORD)
    assert client.get("/facilitate/studies/study").status_code == 200


def test_sharing_again_changes_a_members_role(session, client, world):
    as_user(client, "owner")
    response = post(client, SHARING, {"email": "cole@example.org", "role": "analyst"})
    assert response.status_code == 302
    assert shared_roles(session, world["study"])["cole@example.org"] is StudyRole.ANALYST
    assert "Cole Colleague is now an analyst" in text_of(client.get(SHARING))


def test_removing_a_member_takes_the_study_back(session, client, world):
    as_user(client, "owner")
    response = post(client, f"{SHARING}/{world['member'].id}/remove")
    assert response.status_code == 302
    assert "no longer shared with Ann Analyst" in text_of(client.get(SHARING))
    assert audit_entries(session, "study.unshare")[-1].actor_id == world["owner"].id
    client.post("/logout", data={"csrf_token": csrf_token(client.get(SHARING).text)})
    as_user(client, "analyst")
    assert client.get("/facilitate/studies/study").status_code == 404


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"email": "nobody@example.org", "role": "analyst"},
            "email",
            "Not shared: no active staff account has the address nobody@example.org.",
        ),
        (
            {"email": "andy@example.org", "role": "co_facilitator"},
            "role",
            "Not shared: andy@example.org has an analyst's account and can only be an analyst.",
        ),
        (
            {"email": "fac@example.org", "role": "analyst"},
            "email",
            "Not shared: fac@example.org owns this study.",
        ),
        ({"email": "", "role": "analyst"}, "email", "This field is required."),
        ({"email": "x" * 300, "role": "analyst"}, "email", "cannot be longer than 254"),
        ({"email": "nell@example.org", "role": "owner"}, "role", "Choose co-facilitator or"),
        ({"email": "nell@example.org"}, "role", "Choose co-facilitator or analyst."),
    ],
)
def test_a_refused_share_shows_the_form_again_and_changes_nothing(
    session, client, world, data, field, message
):
    as_user(client, "owner")
    before = snapshot(session)
    response = post(client, SHARING, data)
    assert response.status_code == 400
    assert snapshot(session) == before
    page = response.text
    assert 'class="error-summary"' in page and "The study was not shared" in page
    beside = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert beside and message in html.unescape(beside.group(1))
    if data["email"] and len(data["email"]) < 254:
        assert f'value="{data["email"]}"' in page
    if data.get("role") in ("analyst", "co_facilitator"):
        assert checked(page) == [data["role"]]


@pytest.mark.parametrize("member", ["other study", "missing", "too big"])
def test_removing_someone_who_is_not_a_member_of_this_study_is_404(session, client, world, member):
    other = session.scalar(sa.select(Study).where(Study.slug == "elsewhere"))
    elsewhere = share_study(session, other, "nell@example.org", StudyRole.ANALYST)
    session.commit()
    number = {"other study": elsewhere.id, "missing": 999_999, "too big": ID_MAX + 1}[member]
    as_user(client, "owner")
    before = snapshot(session)
    assert post(client, f"{SHARING}/{number}/remove").status_code == 404
    assert snapshot(session) == before
