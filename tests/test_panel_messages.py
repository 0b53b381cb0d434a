"""Every text of the panel, panel-file and outbox pages is marked for translation.

Uses the made-up marking catalogue and the scene of :mod:`tests.test_staff_messages`.
"""

from __future__ import annotations

import io

import sqlalchemy as sa

from elicit import formatting
from elicit.mail.outbox import send_invitation
from elicit.panels.models import Expert
from tests import factories
from tests import test_staff_messages as staff
from tests.conftest import csrf_token, login

markers = staff.markers
marking = staff.marking
scene = staff.scene
BASE = "/facilitate/studies/ceasefire"
CONTACTS = (
    "Alder Person",
    "Birch Person",
    "Cedar Person",
    "Alder@x.test",
    "Birch@x.test",
    "Cedar@x.test",
    "Ada",
    "ada@x.test",
)


def _named(session, study):
    """Give the scene's experts names that read as names (the scene calls them all "n")."""
    for expert in study.experts:
        expert.contact.name = f"{expert.pseudonym} Person"
    session.commit()


def _pseudonyms(session):
    session.expire_all()
    return tuple(session.scalars(sa.select(Expert.pseudonym)))


def test_the_panel_and_outbox_pages_are_marked_for_the_owner(marking, session, scene):
    client = marking
    _named(session, scene["study"])
    message = send_invitation(session, scene["study"].experts[0], base_url="https://x.test")
    session.commit()
    queued_at = formatting.datetime(message.created_at, locale=staff.LOCALE)
    login(client, "fac@example.org", factories.PASSWORD)
    panel = staff.page_of(client.get(f"{BASE}/panel"))
    assert staff.marked("Add an expert") in panel
    assert staff.unmarked(panel, *staff.USER_DATA, *CONTACTS) == []
    outbox = staff.page_of(client.get(f"{BASE}/outbox"))
    assert staff.marked("queued") in outbox
    # the subject is stored as written when the message was queued, in that language
    assert staff.unmarked(outbox, *staff.USER_DATA, *CONTACTS, queued_at, message.subject) == []


def test_the_panel_page_is_marked_for_an_analyst(marking, scene):
    client = marking
    login(client, "ana@example.org", factories.PASSWORD)
    panel = staff.page_of(client.get(f"{BASE}/panel"))
    assert staff.unmarked(panel, *staff.USER_DATA) == []


def test_refusals_previews_and_actions_are_marked(marking, session, scene):
    client = marking
    _named(session, scene["study"])
    login(client, "fac@example.org", factories.PASSWORD)
    token = csrf_token(client.get(f"{BASE}/panel").text)
    refused = staff.page_of(
        client.post(f"{BASE}/panel/experts", data={"csrf_token": token, "email": "bad"}), 400
    )
    assert staff.unmarked(refused, *staff.USER_DATA, *CONTACTS, "bad") == []
    data = b"name,email\nAda,ada@x.test\nBob,bad\nAlder,Alder@x.test\n\xff,x@x.test\n"
    preview = staff.page_of(
        client.post(
            f"{BASE}/panel/upload",
            data={"csrf_token": token, "file": (io.BytesIO(data), "p.csv")},
            content_type="multipart/form-data",
        )
    )
    assert staff.unmarked(preview, *staff.USER_DATA, *CONTACTS, "Bob", "bad") == []
    expert = scene["study"].experts[0]
    for url in (
        f"{BASE}/panel/experts",
        f"{BASE}/panel/invite",
        f"{BASE}/panel/remind",
        f"{BASE}/panel/experts/{expert.id}/email",
        f"{BASE}/panel/experts/{expert.id}/revoke",
        f"{BASE}/panel/experts/{expert.id}/revoke",
    ):
        page = staff.page_of(staff.post(client, url, name="Ada", email="ada@x.test"))
        assert 'role="status"' in page or 'role="alert"' in page, url
        assert staff.unmarked(page, *staff.USER_DATA, *CONTACTS, *_pseudonyms(session)) == [], url
