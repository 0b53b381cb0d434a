"""Adding experts from a panel file: a preview of every row, nothing saved until confirmed."""

from __future__ import annotations

import base64
import io
import re

import pytest
import sqlalchemy as sa

from elicit.panels.models import Expert, ExpertContact
from elicit.panels.roster import MAX_BYTES
from tests import test_panel_pages as pages
from tests.conftest import csrf_token
from tests.test_refusals import snapshot

GOOD_AND_BAD = (
    b"name,email,group\n"
    b"Ada Lovelace,ada@x.test,Academics\n"
    b"Bob,bob-at-x.test,\n"
    b"Ada Again,ada@x.test,\n"
    b"Old Hand,submitted@x.test,\n"
    b"Fr\xe9d\xe9ric,fred@x.test,\n"
    b"Alan Turing,alan@x.test,\n"
)

world = pages.world
PANEL = pages.PANEL
_as = pages._as


def _upload(client, data: bytes, filename="panel.csv"):
    token = csrf_token(client.get(PANEL).text)
    return client.post(
        f"{PANEL}/upload",
        data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _content(html: str) -> str:
    return re.search(r'name="content" type="hidden" value="([^"]*)"', html).group(1)


def _emails(session):
    session.expire_all()
    return set(session.scalars(sa.select(ExpertContact.email)))


def test_the_preview_lists_every_bad_row_and_saves_nothing(client, world, session):
    _as(client)
    before = snapshot(session)
    preview = _upload(client, GOOD_AND_BAD)
    assert preview.status_code == 200
    text = preview.text
    for line, reason in [
        (3, "bob-at-x.test is not an e-mail address"),
        (4, "the same e-mail address is already on line 2"),
        (5, "an expert with this e-mail address is already on the panel"),
        (6, "the row is not UTF-8 text"),
    ]:
        assert re.search(rf'<th scope="row">{line}</th><td[^>]*>{re.escape(reason)}', text), line
    assert "Ada Lovelace" in text and "Alan Turing" in text
    assert "Add 2 experts to the panel" in text
    assert snapshot(session) == before


def test_confirming_adds_the_good_rows_read_again(client, world, session):
    _as(client)
    preview = _upload(client, GOOD_AND_BAD)
    answer = client.post(
        f"{PANEL}/upload/confirm",
        data={"csrf_token": csrf_token(preview.text), "content": _content(preview.text)},
    )
    assert answer.status_code == 302
    page = client.get(PANEL).text
    assert "2 experts were added to the panel. 4 rows were left out." in page
    added = session.scalars(
        sa.select(Expert)
        .join(ExpertContact)
        .where(ExpertContact.email.in_(["ada@x.test", "alan@x.test"]))
    ).all()
    assert {e.panel_group for e in added} == {"Academics", ""}
    assert "bob-at-x.test" not in _emails(session)


def test_rows_edited_in_the_browser_are_checked_again(client, world, session):
    _as(client)
    preview = _upload(client, b"name,email\nAda,ada@x.test\n")
    forged = base64.b64encode(b"name,email\nAda,ada@x.test\nEve,not-an-address\nOld,draft@x.test\n")
    answer = client.post(
        f"{PANEL}/upload/confirm",
        data={"csrf_token": csrf_token(preview.text), "content": forged.decode()},
    )
    assert answer.status_code == 302
    emails = _emails(session)
    assert "ada@x.test" in emails and "not-an-address" not in emails
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(ExpertContact)
            .where(ExpertContact.email == "draft@x.test")
        )
        == 1
    )


def test_a_row_added_by_someone_else_meanwhile_is_not_added_twice(client, world, session):
    _as(client)
    preview = _upload(client, b"name,email\nAda,ada@x.test\nAlan,alan@x.test\n")
    token = csrf_token(client.get(PANEL).text)
    client.post(
        f"{PANEL}/experts", data={"csrf_token": token, "name": "Ada", "email": "ada@x.test"}
    )
    client.post(
        f"{PANEL}/upload/confirm",
        data={"csrf_token": csrf_token(preview.text), "content": _content(preview.text)},
    )
    count = session.scalar(
        sa.select(sa.func.count())
        .select_from(ExpertContact)
        .where(ExpertContact.email == "ada@x.test")
    )
    assert count == 1 and "alan@x.test" in _emails(session)


@pytest.mark.parametrize(
    ("content", "expected"),
    [("not base64!", 302), ("", 302), (base64.b64encode(b"name,email\nB,bad\n").decode(), 400)],
    ids=["garbled", "empty", "no-good-row"],
)
def test_a_confirmation_without_a_good_row_saves_nothing(client, world, session, content, expected):
    _as(client)
    before = snapshot(session)
    token = csrf_token(client.get(PANEL).text)
    answer = client.post(f"{PANEL}/upload/confirm", data={"csrf_token": token, "content": content})
    assert answer.status_code == expected
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"name,email\n" + b"a" * MAX_BYTES, 413, "The file is larger than 1 MB."),
        (b"email\nada@x.test\n", 400, "the first line must name the columns"),
        ("name,email\nŻaneta,ż@x.test\n".encode("utf-16"), 400, "not UTF-8"),
    ],
    ids=["too-large", "no-header", "utf-16"],
)
def test_a_file_that_cannot_be_used_is_refused_with_its_reason(
    client, world, session, data, status, message
):
    _as(client)
    before = snapshot(session)
    answer = _upload(client, data)
    assert answer.status_code == status
    assert message in answer.text
    assert snapshot(session) == before


def test_no_file_is_refused_beside_the_field(client, world, session):
    _as(client)
    token = csrf_token(client.get(PANEL).text)
    answer = client.post(
        f"{PANEL}/upload", data={"csrf_token": token}, content_type="multipart/form-data"
    )
    assert answer.status_code == 400
    assert 'class="error-summary"' in answer.text and "Choose a CSV file to upload." in answer.text


def test_a_request_over_the_size_limit_is_a_clear_413(client, world, session):
    _as(client)
    answer = _upload(client, b"x" * (5 * 1024 * 1024))
    assert answer.status_code == 413
    assert "too large" in answer.text
