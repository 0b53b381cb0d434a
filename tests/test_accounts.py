"""Staff accounts: creating users, logging in and out, roles, CSRF and rate limiting."""

import pytest
import sqlalchemy as sa

from elicit.accounts.models import Role, StudyRole, User
from elicit.accounts.passwords import verify_password
from elicit.accounts.services import authenticate, create_user
from elicit.errors import DomainError
from elicit.studies.sharing import share_study
from tests import factories
from tests.conftest import csrf_token, login


def test_passwords_are_stored_as_argon2_hashes(session):
    user = factories.user(session, email="Mixed@Example.ORG ")
    assert user.email == "mixed@example.org"
    assert user.password_hash.startswith("$argon2id$")
    assert factories.PASSWORD not in user.password_hash
    assert verify_password(user.password_hash, factories.PASSWORD)
    assert not verify_password(user.password_hash, "wrong password")
    assert authenticate(session, "MIXED@example.org", factories.PASSWORD) is user


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"email": "not-an-address"}, "invalid_email"),
        ({"role": "superuser"}, "invalid_role"),
        ({"password": "short"}, "weak_password"),
        ({"name": "  "}, "invalid_name"),
    ],
)
def test_bad_user_details_are_refused(session, fields, code):
    values = {
        "email": "a@example.org",
        "name": "A",
        "role": "analyst",
        "password": "long enough pw",
    }
    with pytest.raises(DomainError) as caught:
        create_user(session, **(values | fields))
    assert caught.value.code == code


def test_duplicate_user_is_refused(session):
    factories.user(session)
    with pytest.raises(DomainError, match="already exists"):
        factories.user(session, email="FAC@example.org")


def create_user_command(runner, email, name, password, *extra):
    return runner.invoke(
        args=["users", "create", "--email", email, "--name", name, "--password", password, *extra]
    )


def test_cli_creates_a_user_and_refuses_bad_input_with_status_2(runner, session):
    ok = create_user_command(
        runner, "ana@example.org", "Ana", "a long password", "--role", "analyst"
    )
    assert ok.exit_code == 0, ok.stderr
    role = session.scalar(sa.select(User.role).where(User.email == "ana@example.org"))
    assert role is Role.ANALYST
    again = create_user_command(runner, "ana@example.org", "Ana", "a long password")
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    short = create_user_command(runner, "b@example.org", "B", "short")
    assert short.exit_code == 2 and "at least 10 characters" in short.stderr
    long_name = create_user_command(runner, "c@example.org", "C" * 121, "a long password")
    assert long_name.exit_code == 2 and "1 to 120 characters" in long_name.stderr


def test_login_and_logout(client, session):
    factories.user(session)
    response = login(client, "fac@example.org", factories.PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/facilitate/")
    page = client.get("/facilitate/")
    assert page.status_code == 200 and "Fran Facilitator" in page.text
    client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    assert client.get("/facilitate/").status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_generic_answer(client, session):
    factories.user(session)
    wrong = login(client, "fac@example.org", "not the password")
    unknown = login(client, "nobody@example.org", factories.PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    message = "The e-mail address or password is not right."
    assert message in wrong.text and message in unknown.text
    # Once in the error summary, once beside the fields; the same page either way.
    assert wrong.text.replace("nobody@example.org", "fac@example.org").count(message) == 2


def test_missing_fields_are_shown_beside_the_field(client):
    page = client.get("/login")
    response = client.post(
        "/login", data={"email": "", "password": "", "csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 400
    assert 'id="email-error"' in response.text and 'aria-invalid="true"' in response.text


def test_login_without_csrf_token_is_refused_clearly(client, session):
    factories.user(session)
    response = client.post(
        "/login", data={"email": "fac@example.org", "password": factories.PASSWORD}
    )
    assert response.status_code == 400
    assert "not sent from this site" in response.text


def test_next_parameter_cannot_redirect_off_site(client, session):
    factories.user(session)
    page = client.get("/login")
    data = {
        "email": "fac@example.org",
        "password": factories.PASSWORD,
        "csrf_token": csrf_token(page.text),
    }
    response = client.post("/login?next=https://evil.example/", data=data)
    assert response.headers["Location"].endswith("/facilitate/")


def test_inactive_users_cannot_log_in(client, session):
    factories.user(session).active = False
    assert login(client, "fac@example.org", factories.PASSWORD).status_code == 401


def test_facilitators_see_only_their_own_studies(client, session):
    mine = factories.study(session, factories.user(session), slug="mine")
    factories.study(session, factories.user(session, email="other@example.org"), slug="theirs")
    login(client, "fac@example.org", factories.PASSWORD)
    index = client.get("/facilitate/")
    assert mine.title in index.text and "Study theirs" not in index.text
    assert client.get("/facilitate/studies/theirs").status_code == 404


def test_analysts_see_only_the_studies_shared_with_them(client, session):
    shared = factories.study(session, factories.user(session), slug="shared")
    factories.study(session, shared.owner, slug="private")
    analyst = factories.user(session, email="ana@example.org", role=Role.ANALYST)
    share_study(session, shared, analyst.email, StudyRole.ANALYST)
    login(client, "ana@example.org", factories.PASSWORD)
    index = client.get("/facilitate/").text
    assert "Study shared" in index and "Study private" not in index
    assert client.get("/facilitate/studies/shared").status_code == 200
    assert client.get("/facilitate/studies/private").status_code == 404


def test_admins_see_every_study(client, session):
    factories.study(session, factories.user(session), slug="mine")
    factories.user(session, email="admin@example.org", role=Role.ADMIN)
    login(client, "admin@example.org", factories.PASSWORD)
    assert client.get("/facilitate/studies/mine").status_code == 200


def test_session_cookie_is_httponly_samesite_and_lasts_the_configured_lifetime(
    client, session, app
):
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    factories.user(session)
    response = login(client, "fac@example.org", factories.PASSWORD)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    lifetime = (expires - datetime.now(UTC)).total_seconds()
    assert abs(lifetime - app.permanent_session_lifetime.total_seconds()) < 60


def test_repeated_login_attempts_are_rate_limited(rate_limited_client):
    client = rate_limited_client
    responses = []
    # A different address each time: this is the per-address limit, not the per-account one
    # (tests/test_login_throttle.py).
    for n in range(11):
        token = csrf_token(client.get("/login").text)
        email = f"x{n}@example.org"
        responses.append(
            client.post(
                "/login", data={"email": email, "password": "wrong password", "csrf_token": token}
            )
        )
    assert [r.status_code for r in responses[:10]] == [401] * 10
    refused = responses[10]
    assert refused.status_code == 429
    assert "Too many attempts. Try again in about a minute." in refused.text
    assert "per 1 minute" not in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert 'id="error-summary"' in refused.text and 'value="x10@example.org"' in refused.text
