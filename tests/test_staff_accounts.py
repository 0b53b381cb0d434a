"""Staff accounts for admins: the services, the staff page, ``elicit users`` and ended sessions."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from elicit.accounts.models import Role, User
from elicit.accounts.services import set_active, set_role
from elicit.audit import AuditEvent
from elicit.errors import DomainError
from elicit.web import ID_MAX
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_refusals import snapshot

STAFF = "/facilitate/staff"


def text_of(response) -> str:
    """The text of the page's ``<main>``, without tags, entities decoded, whitespace collapsed."""
    main = response.text.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", "<main" + main)))


def account(session, email: str) -> tuple[Role, bool] | None:
    """The role of the account ``email`` and whether it is active, read afresh."""
    session.expire_all()
    row = session.execute(sa.select(User.role, User.active).where(User.email == email)).first()
    return tuple(row) if row else None


def last_entry(session) -> AuditEvent:
    """The newest audit entry."""
    return session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()


def token(client) -> str:
    """A valid CSRF token for ``client``'s session, logged in or not."""
    return csrf_token(client.get("/login", follow_redirects=True).text)


def post(client, url, data=None):
    """POST ``data`` to ``url`` with a valid CSRF token, as a browser would."""
    return client.post(url, data={**(data or {}), "csrf_token": token(client)})


@pytest.fixture
def people(session):
    """Ada the admin, Fran the facilitator, Ann the analyst and Gus (deactivated)."""
    found = {
        "admin": factories.user(
            session, email="ada@example.org", role=Role.ADMIN, name="Ada Admin"
        ),
        "facilitator": factories.user(session),
        "analyst": factories.user(
            session, email="ann@example.org", role=Role.ANALYST, name="Ann Analyst"
        ),
        "gone": factories.user(session, email="gus@example.org", name="Gus Gone"),
    }
    found["gone"].active = False
    session.commit()
    return found


@pytest.fixture
def as_admin(client, people):
    assert login(client, "ada@example.org", factories.PASSWORD).status_code == 302
    return client


# The services


def test_deactivating_and_reactivating_are_audited_with_before_and_after(session, people):
    admin, user = people["admin"], people["facilitator"]
    set_active(session, user, False, actor=admin)
    assert account(session, "fac@example.org") == (Role.FACILITATOR, False)
    entry = last_entry(session)
    assert (entry.action, entry.actor_id, entry.study_id, entry.target_user_id) == (
        "user.deactivate",
        admin.id,
        None,
        user.id,
    )
    assert entry.target == "", "the log refers to the account; its e-mail stays outside"
    assert entry.details == {"before": {"active": True}, "after": {"active": False}}
    set_active(session, user, True, actor=admin)
    assert account(session, "fac@example.org") == (Role.FACILITATOR, True)
    entry = last_entry(session)
    assert entry.action == "user.activate"
    assert entry.details == {"before": {"active": False}, "after": {"active": True}}


def test_a_change_to_what_is_already_so_records_nothing(session, people):
    before = snapshot(session)
    set_active(session, people["facilitator"], True, actor=people["admin"])
    set_role(session, people["facilitator"], "facilitator", actor=people["admin"])
    assert snapshot(session) == before


def test_changing_a_role_is_audited_with_before_and_after(session, people):
    set_role(session, people["facilitator"], Role.ANALYST, actor=people["admin"])
    assert account(session, "fac@example.org") == (Role.ANALYST, True)
    entry = last_entry(session)
    assert (entry.action, entry.actor_id, entry.study_id) == ("user.role", people["admin"].id, None)
    assert entry.details == {"before": {"role": "facilitator"}, "after": {"role": "analyst"}}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda s, p: set_active(s, p["admin"], False, actor=p["admin"]), "own_account"),
        (lambda s, p: set_role(s, p["admin"], Role.ANALYST, actor=p["admin"]), "own_account"),
        (lambda s, p: set_active(s, p["admin"], False), "last_admin"),
        (lambda s, p: set_role(s, p["admin"], Role.FACILITATOR), "last_admin"),
        (lambda s, p: set_role(s, p["facilitator"], "superuser"), "invalid_role"),
    ],
    ids=["deactivate self", "own role", "last admin off", "last admin demoted", "no such role"],
)
def test_refused_account_changes_change_nothing(session, people, change, code):
    before = snapshot(session)
    with pytest.raises(DomainError) as caught:
        change(session, people)
    assert caught.value.code == code
    assert snapshot(session) == before


def test_an_admin_can_be_deactivated_while_another_admin_is_active(session, people):
    other = factories.user(session, email="bea@example.org", role=Role.ADMIN, name="Bea")
    set_active(session, people["admin"], False, actor=other)
    assert account(session, "ada@example.org") == (Role.ADMIN, False)
    with pytest.raises(DomainError, match="only active admin"):
        set_role(session, other, Role.FACILITATOR)


# Who may use the staff page


def send(client, people, request: str):
    """Send one of the staff page's requests, named as in the table below."""
    fran, gus = people["facilitator"].id, people["gone"].id
    if request == "view":
        return client.get(STAFF)
    if request == "create":
        new = {"name": "Nell New", "email": "nell@example.org", "role": "analyst"}
        return post(client, STAFF, {**new, "password": "a long password"})
    if request == "deactivate":
        return post(client, f"{STAFF}/{fran}/deactivate")
    if request == "activate":
        return post(client, f"{STAFF}/{gus}/activate")
    return post(client, f"{STAFF}/{fran}/role", {"role": "analyst"})


REQUESTS = ("view", "create", "deactivate", "activate", "role")
ACCESS = [
    ("admin", "ada@example.org", (200, 302, 302, 302, 302)),
    ("facilitator", "fac@example.org", (403,) * 5),
    ("analyst", "ann@example.org", (403,) * 5),
]
EFFECT = {
    "create": ("nell@example.org", (Role.ANALYST, True)),
    "deactivate": ("fac@example.org", (Role.FACILITATOR, False)),
    "activate": ("gus@example.org", (Role.FACILITATOR, True)),
    "role": ("fac@example.org", (Role.ANALYST, True)),
}
"""What each request changes when it is allowed: the account and its (role, active) after."""


@pytest.mark.parametrize(
    ("email", "request_name", "status"),
    [
        pytest.param(email, name, status, id=f"{who}-{name}")
        for who, email, statuses in ACCESS
        for name, status in zip(REQUESTS, statuses, strict=True)
    ],
)
def test_each_role_gets_the_expected_status(session, client, people, email, request_name, status):
    login(client, email, factories.PASSWORD)
    before = snapshot(session)
    assert send(client, people, request_name).status_code == status
    if status == 403:
        assert snapshot(session) == before
    elif request_name in EFFECT:
        changed, after = EFFECT[request_name]
        assert account(session, changed) == after
        assert last_entry(session).actor_id == people["admin"].id


@pytest.mark.parametrize("request_name", REQUESTS)
def test_without_a_login_the_staff_page_asks_for_one(session, client, people, request_name):
    before = snapshot(session)
    response = send(client, people, request_name)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert snapshot(session) == before


def test_only_admins_see_the_staff_link(client, people):
    login(client, "ada@example.org", factories.PASSWORD)
    assert f'href="{STAFF}"' in client.get("/facilitate/").text
    client.post("/logout", data={"csrf_token": token(client)})
    login(client, "fac@example.org", factories.PASSWORD)
    assert f'href="{STAFF}"' not in client.get("/facilitate/").text


# The staff page


def test_the_staff_page_lists_every_account(as_admin, people):
    page = as_admin.get(STAFF)
    text = text_of(page)
    for name, email in [
        ("Ada Admin", "ada@example.org"),
        ("Fran Facilitator", "fac@example.org"),
        ("Ann Analyst", "ann@example.org"),
        ("Gus Gone", "gus@example.org"),
    ]:
        assert f"{name}" in text and email in text
    created = people["admin"].created_at.strftime("%b %-d, %Y")
    assert text.count(created) == 4
    assert text.index("Fran Facilitator") < text.index("Gus Gone")  # active ones first
    assert "Gus Gone deactivated" not in text and "deactivated Reactivate" in text
    own = people["admin"].id
    assert f"{STAFF}/{own}/deactivate" not in page.text and f"{STAFF}/{own}/role" not in page.text
    assert f"{STAFF}/{people['facilitator'].id}/deactivate" in page.text
    assert f"{STAFF}/{people['gone'].id}/activate" in page.text


def test_an_admin_creates_an_account_that_can_log_in(session, client, as_admin):
    data = {"name": "Nell New", "email": "Nell@Example.org", "role": "facilitator"}
    response = post(as_admin, STAFF, {**data, "password": "a long password"})
    assert response.status_code == 302
    assert "The account of Nell New (nell@example.org) is created" in text_of(as_admin.get(STAFF))
    assert account(session, "nell@example.org") == (Role.FACILITATOR, True)
    entry = last_entry(session)
    created = session.scalar(sa.select(User).where(User.email == "nell@example.org"))
    assert (entry.action, entry.target, entry.target_user_id) == ("user.create", "", created.id)
    as_admin.post("/logout", data={"csrf_token": token(as_admin)})
    assert login(client, "nell@example.org", "a long password").status_code == 302


GOOD = {
    "name": "Nell New",
    "email": "nell@example.org",
    "role": "analyst",
    "password": "a long pw!",
}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "fac@example.org"}, "email", "already exists"),
        ({"email": "not-an-address"}, "email", "is not an e-mail address"),
        ({"password": "short"}, "password", "at least 10 characters"),
        ({"name": ""}, "name", "This field is required."),
        ({"name": "N" * 121}, "name", "cannot be longer than 120"),
        ({"role": "superuser"}, "role", "Choose admin, facilitator or analyst."),
        ({"password": ""}, "password", "This field is required."),
    ],
)
def test_a_refused_account_is_shown_beside_its_field_and_changes_nothing(
    session, as_admin, changes, field, message
):
    before = snapshot(session)
    data = GOOD | changes
    response = post(as_admin, STAFF, data)
    assert response.status_code == 400
    assert snapshot(session) == before
    page = response.text
    assert 'class="error-summary"' in page and "The account was not created" in page
    beside = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert beside and message in html.unescape(beside.group(1))
    for kept in ("name", "email"):
        if data[kept] and len(data[kept]) <= 120:
            assert f'value="{data[kept]}"' in page
    password_input = re.search(r'<input [^>]*name="password"[^>]*>', page)
    assert password_input and 'value=""' in password_input.group(0)


def test_an_admin_deactivates_and_reactivates_an_account(session, client, as_admin, people):
    fran = people["facilitator"].id
    assert post(as_admin, f"{STAFF}/{fran}/deactivate").status_code == 302
    assert "Fran Facilitator's account is deactivated" in text_of(as_admin.get(STAFF))
    assert account(session, "fac@example.org") == (Role.FACILITATOR, False)
    assert post(as_admin, f"{STAFF}/{fran}/activate").status_code == 302
    assert "Fran Facilitator's account is active again" in text_of(as_admin.get(STAFF))
    assert account(session, "fac@example.org") == (Role.FACILITATOR, True)


def test_an_admin_changes_a_role(session, as_admin, people):
    response = post(as_admin, f"{STAFF}/{people['facilitator'].id}/role", {"role": "analyst"})
    assert response.status_code == 302
    assert "Fran Facilitator's role is now: analyst." in text_of(as_admin.get(STAFF))
    assert account(session, "fac@example.org") == (Role.ANALYST, True)


@pytest.mark.parametrize(
    ("action", "data", "control", "message"),
    [
        ("deactivate", {}, "active", "you cannot deactivate your own account"),
        ("role", {"role": "analyst"}, "role", "you cannot change your own role"),
    ],
)
def test_an_admin_cannot_lock_themselves_out(
    session, as_admin, people, action, data, control, message
):
    own = people["admin"].id
    before = snapshot(session)
    response = post(as_admin, f"{STAFF}/{own}/{action}", data)
    assert response.status_code == 400
    assert snapshot(session) == before
    assert "Nothing was changed" in response.text
    assert f'href="#{control}-{own}"' in response.text
    beside = re.search(rf'<p class="error" id="{control}-{own}-error">([^<]*)</p>', response.text)
    assert beside and f"Nothing was changed: {message}." in html.unescape(beside.group(1))


def test_a_role_that_does_not_exist_is_refused(session, as_admin, people):
    fran = people["facilitator"].id
    before = snapshot(session)
    response = post(as_admin, f"{STAFF}/{fran}/role", {"role": "superuser"})
    assert response.status_code == 400
    assert snapshot(session) == before
    assert f'<p class="error" id="role-{fran}-error">' in response.text


@pytest.mark.parametrize("number", [999_999, ID_MAX + 1, 2**63])
@pytest.mark.parametrize("action", ["deactivate", "activate", "role"])
def test_an_account_that_does_not_exist_is_404(session, as_admin, number, action):
    before = snapshot(session)
    assert post(as_admin, f"{STAFF}/{number}/{action}", {"role": "analyst"}).status_code == 404
    assert snapshot(session) == before


# A deactivated account's session


def test_a_deactivated_users_session_ends_on_their_next_request(session, client, people):
    login(client, "fac@example.org", factories.PASSWORD)
    assert client.get("/facilitate/").status_code == 200
    set_active(session, people["facilitator"], False, actor=people["admin"])
    session.commit()
    response = client.get("/facilitate/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert login(client, "fac@example.org", factories.PASSWORD).status_code == 401


def test_deactivating_in_the_web_logs_the_user_out_at_once(app, session, client, people):
    fran = app.test_client()
    login(fran, "fac@example.org", factories.PASSWORD)
    assert fran.get("/facilitate/").status_code == 200
    login(client, "ada@example.org", factories.PASSWORD)
    post(client, f"{STAFF}/{people['facilitator'].id}/deactivate")
    response = fran.get("/facilitate/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# elicit users


def test_users_list_prints_a_table(runner, people):
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0, result.stderr
    lines = result.output.splitlines()
    assert lines[0].split() == ["E-MAIL", "NAME", "ROLE", "ACTIVE"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["ada@example.org"] == ["ada@example.org", "Ada", "Admin", "admin", "yes"]
    assert rows["gus@example.org"][-2:] == ["facilitator", "no"]
    assert len(rows) == 4
    assert lines[0].index("ROLE") == lines[1].index(lines[1].split()[-2])


def test_users_deactivate_and_activate(session, runner, people):
    result = runner.invoke(args=["users", "deactivate", "FAC@example.org"])
    assert result.exit_code == 0, result.stderr
    assert "Deactivated facilitator fac@example.org." in result.output
    assert account(session, "fac@example.org") == (Role.FACILITATOR, False)
    entry = last_entry(session)
    assert (entry.action, entry.actor_id, entry.target_user_id) == (
        "user.deactivate",
        None,
        people["facilitator"].id,
    )
    again = runner.invoke(args=["users", "deactivate", "fac@example.org"])
    assert again.exit_code == 0 and "already deactivated" in again.output
    result = runner.invoke(args=["users", "activate", "fac@example.org"])
    assert result.exit_code == 0 and "Activated facilitator fac@example.org." in result.output
    assert account(session, "fac@example.org") == (Role.FACILITATOR, True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["deactivate", "nobody@example.org"],
            "no staff account has the address nobody@example.org",
        ),
        (["activate", "nobody@example.org"], "no staff account has the address nobody@example.org"),
        (["deactivate", "ada@example.org"], "ada@example.org is the only active admin"),
    ],
)
def test_users_refusals_exit_with_status_2_and_change_nothing(
    session, runner, people, args, message
):
    before = snapshot(session)
    result = runner.invoke(args=["users", *args])
    assert result.exit_code == 2
    assert f"error: {message}" in result.stderr
    assert snapshot(session) == before
