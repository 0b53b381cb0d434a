"""The audit trail: a study's events for whoever may see it, the events of no study for admins.

Pages by role, each filter, refused filters, pages of 100, the CSV download
(its columns and the quote in front of a cell a spreadsheet would run), the
words for actions and details, the study's time zone, and the services that
record what changed.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import html
import io
import json
import re

import pytest
import sqlalchemy as sa

from elicit import PROJECT_ROOT, audit, auditing, formatting
from elicit.accounts.models import Role, StudyRole
from elicit.audit import AuditEvent
from elicit.facilitating.audit_words import ACTION_NAMES, action_name, detail_lines
from elicit.feedback.services import set_rationale_hidden, update_settings
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert
from elicit.rounds.services import close_round, create_round, open_round
from elicit.studies.sharing import share_study
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_refusals import snapshot

PAGE = "/facilitate/studies/ceasefire/audit"
CSV = "/facilitate/studies/ceasefire/audit.csv"
STAFF = "/facilitate/audit"


def at(day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A moment in March 2025, UTC."""
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=dt.UTC)


def add_event(session, action, when, *, study=None, actor=None, target="", details=None):
    """Append an event at ``when`` (the service stamps the present; these tests need the past)."""
    event = AuditEvent(
        at=when,
        action=action,
        actor_id=actor.id if actor else None,
        study_id=study.id if study else None,
        target=target,
        details=details or {},
    )
    return audit.append(session, event)


def listed(response) -> list[int]:
    """The ids of the events a page lists, in its order."""
    return [int(found) for found in re.findall(r'<tr id="event-(\d+)">', response.text)]


def text_of(response) -> str:
    """The page's text without tags, with entities decoded and whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


def rows_of(response) -> list[dict[str, str]]:
    """The rows of a CSV download."""
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.fixture
def people(session):
    """The owner of ``ceasefire``, an analyst it is shared with, a stranger and an admin."""
    return {
        "owner": factories.user(session),
        "analyst": factories.user(
            session, email="ana@example.org", role=Role.ANALYST, name="Ann Analyst"
        ),
        "stranger": factories.user(session, email="str@example.org", name="Stan Stranger"),
        "admin": factories.user(session, email="adm@example.org", role=Role.ADMIN, name="Ada"),
    }


@pytest.fixture
def study(session, people):
    """``ceasefire``, shared with the analyst, with its history replaced by dated events.

    The events, in March 2025: ``created`` (owner, 1st), ``opened`` (owner,
    6th 23:30 UTC, which is the 7th in Warsaw), ``submitted`` (no staff
    member, 8th), ``settings`` (owner, 9th), ``shared`` (admin, 10th). The
    services recorded two more, today: the study's creation by its owner and
    its sharing (no staff member).
    """
    found = factories.study(session, owner=people["owner"], slug="ceasefire")
    share_study(session, found, "ana@example.org", StudyRole.ANALYST)
    owner, admin = people["owner"], people["admin"]
    events = {
        "created": add_event(session, "study.create", at(1), study=found, actor=owner),
        "opened": add_event(
            session,
            "round.open",
            at(6, 23, 30),
            study=found,
            actor=owner,
            target="round 1",
            details={"before": "draft", "after": "open"},
        ),
        "submitted": add_event(
            session, "round.submit", at(8), study=found, target="round 1", details={"recorded": 3}
        ),
        "settings": add_event(
            session,
            "study.feedback_settings",
            at(9),
            study=found,
            actor=owner,
            target="ceasefire",
            details={
                "before": {"min_answers": 3, "hide_until_answered": False},
                "after": {"min_answers": 5, "hide_until_answered": False},
            },
        ),
        "shared": add_event(
            session,
            "study.share",
            at(10),
            study=found,
            actor=admin,
            target="ana@example.org",
            details={"before": None, "after": "analyst"},
        ),
    }
    session.commit()
    return found, events


def logged_in(client, email):
    """``client`` logged in as ``email``."""
    login(client, email, factories.PASSWORD)
    return client


def march(response, events) -> list[str]:
    """The names of the fixture's dated events a page lists, in its order."""
    names = {event.id: name for name, event in events.items()}
    return [names[id_] for id_ in listed(response) if id_ in names]


# Who may see what


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("fac@example.org", 200),
        ("ana@example.org", 200),
        ("adm@example.org", 200),
        ("str@example.org", 404),
    ],
)
def test_a_studys_trail_is_for_whoever_may_see_the_study(client, study, email, status):
    logged_in(client, email)
    assert client.get(PAGE).status_code == status
    assert client.get(CSV).status_code == status
    assert client.get("/facilitate/studies/nowhere/audit").status_code == 404


def test_an_analyst_not_shared_with_gets_404_and_no_one_logged_out_gets_in(session, client, study):
    factories.user(session, email="other@example.org", role=Role.ANALYST, name="O")
    session.commit()
    assert client.get(PAGE).status_code == 302
    assert client.get(CSV).status_code == 302
    logged_in(client, "other@example.org")
    assert client.get(PAGE).status_code == 404


def test_the_study_page_links_to_its_trail(client, study):
    page = logged_in(client, "ana@example.org").get("/facilitate/studies/ceasefire")
    assert f'href="{PAGE}"' in page.text


# What a page shows


def test_the_trail_lists_who_did_what_and_what_changed_newest_first(client, study):
    _, events = study
    page = logged_in(client, "ana@example.org").get(PAGE)
    assert page.status_code == 200
    assert march(page, events) == ["shared", "settings", "submitted", "opened", "created"]
    text = text_of(page)
    assert "Fran Facilitator fac@example.org Opened a round round 1 from draft to open" in text
    assert "system An expert submitted their answers round 1 answers recorded: 3" in text
    assert (
        "Changed the feedback settings ceasefire minimum answers before feedback: from 3 to 5"
        in text
    )
    assert "feedback only once answered" not in text
    assert "Ada adm@example.org Shared the study ana@example.org from none to analyst" in text
    assert "study.feedback_settings" not in text


def test_times_are_shown_in_the_studys_time_zone(session, client, study):
    found, events = study
    page = logged_in(client, "fac@example.org").get(PAGE)
    moment = events["opened"].at
    assert formatting.datetime(moment, tzinfo=dt.UTC, locale="en") in page.text
    assert "March 6, 2025, 11:30:00\u202fPM UTC" in page.text
    found.time_zone = "Europe/Warsaw"
    session.commit()
    page = client.get(PAGE)
    assert "March 7, 2025, 12:30:00\u202fAM +0100" in page.text
    assert "time zone, Europe/Warsaw." in text_of(page)
    assert f'datetime="{moment.isoformat()}"' in page.text


# Filters


def test_each_filter_narrows_the_events(session, client, study, people):
    _, events = study
    logged_in(client, "fac@example.org")
    by_action = client.get(PAGE, query_string={"action": "round.open"})
    assert listed(by_action) == [events["opened"].id]
    assert '<option selected value="round.open">Opened a round</option>' in by_action.text

    by_owner = client.get(PAGE, query_string={"who": str(people["owner"].id)})
    assert march(by_owner, events) == ["settings", "opened", "created"]
    assert all(f"event-{events[name].id}" not in by_owner.text for name in ("shared", "submitted"))
    by_system = client.get(PAGE, query_string={"who": "system"})
    assert "submitted" in march(by_system, events)
    assert "Fran Facilitator" not in text_of(by_system).split("Details", 1)[1]

    days = client.get(PAGE, query_string={"since": "2025-03-07", "until": "2025-03-09"})
    assert listed(days) == [events["settings"].id, events["submitted"].id]
    one_day = client.get(PAGE, query_string={"since": "2025-03-06", "until": "2025-03-06"})
    assert listed(one_day) == [events["opened"].id]
    together = client.get(
        PAGE,
        query_string={"who": str(people["owner"].id), "since": "2025-03-02", "until": "2025-03-09"},
    )
    assert listed(together) == [events["settings"].id, events["opened"].id]


def test_days_are_the_studys_days(session, client, study):
    found, events = study
    found.time_zone = "Europe/Warsaw"
    session.commit()
    logged_in(client, "fac@example.org")
    seventh = client.get(PAGE, query_string={"since": "2025-03-07", "until": "2025-03-07"})
    assert listed(seventh) == [events["opened"].id]


def test_the_choices_are_the_actions_and_people_of_the_trail(client, study):
    page = logged_in(client, "fac@example.org").get(PAGE)
    choices = dict(re.findall(r'<option (?:selected )?value="([^"]*)">([^<]*)</option>', page.text))
    assert choices["round.open"] == "Opened a round"
    assert choices["system"] == "system"
    assert "Ada (adm@example.org)" in choices.values()
    assert "Stan Stranger (str@example.org)" not in choices.values()
    assert "user.create" not in choices


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"since": "2025-02-30"}, "since", "Enter the date as year-month-day, such as 2027-03-31."),
        ({"until": "next week"}, "until", "Enter the date as year-month-day, such as 2027-03-31."),
        ({"since": "2025-03-09", "until": "2025-03-01"}, "until", "on or after the start date"),
        ({"action": "study.delete"}, "action", "Choose one of the listed options."),
        ({"who": "99999999999999999999"}, "who", "Choose one of the listed options."),
        ({"who": "user.create"}, "who", "Choose one of the listed options."),
    ],
)
def test_bad_filters_are_refused_beside_the_field_and_kept(
    session, client, study, query, field, message
):
    logged_in(client, "fac@example.org")
    before = snapshot(session)
    for url in (PAGE, CSV):
        response = client.get(url, query_string=query)
        assert response.status_code == 400
        assert response.mimetype == "text/html"
        error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', response.text)
        assert error and message in html.unescape(error.group(1))
        assert (
            f'href="#{field}"' in response.text and "The filters were not applied" in response.text
        )
        assert re.search(rf'aria-describedby="[^"]*{field}-error"', response.text)
        if field in ("since", "until"):
            assert f'value="{query[field]}"' in response.text
        assert listed(response) == []
    assert snapshot(session) == before


def test_an_empty_filter_lets_everything_through(client, study):
    _, events = study
    page = logged_in(client, "fac@example.org").get(
        PAGE, query_string={"action": "", "who": "", "since": "", "until": ""}
    )
    assert page.status_code == 200
    assert len(march(page, events)) == 5


# Pages


@pytest.fixture
def long_trail(session, study):
    """205 more events on 2 March, one a minute, ``questions.import``; ``study`` as it was."""
    found, events = study
    start = at(2, 8)
    extra = [
        add_event(
            session,
            "questions.import",
            start + dt.timedelta(minutes=n),
            study=found,
            target=f"set {n}",
        )
        for n in range(205)
    ]
    session.commit()
    return extra


def test_the_trail_comes_in_pages_of_100_whose_links_keep_the_filters(client, long_trail):
    logged_in(client, "fac@example.org")
    query = {"action": "questions.import", "since": "2025-03-02"}
    first = client.get(PAGE, query_string=query)
    assert listed(first) == [event.id for event in reversed(long_trail[105:])]
    assert "205 events" in text_of(first) and "page 1 of 3" in text_of(first)
    older = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert older and 'rel="prev"' not in first.text
    link = html.unescape(older.group(1))
    assert "action=questions.import" in link and "since=2025-03-02" in link and "page=2" in link
    second = client.get(link)
    assert listed(second) == [event.id for event in reversed(long_trail[5:105])]
    assert 'rel="prev"' in second.text and 'rel="next"' in second.text
    third = client.get(PAGE, query_string={**query, "page": "3"})
    assert listed(third) == [event.id for event in reversed(long_trail[:5])]
    assert 'rel="next"' not in third.text
    csv_link = re.search(r'<a href="([^"]+\.csv[^"]*)"', third.text)
    assert csv_link and "page=" not in csv_link.group(1)
    assert "action=questions.import" in html.unescape(csv_link.group(1))


def test_a_page_that_does_not_exist_is_404(client, study):
    logged_in(client, "fac@example.org")
    assert client.get(PAGE, query_string={"page": "1"}).status_code == 200
    for number in ["2", "0", "-1", "two", "1" * 40, "99999999999", ""]:
        assert client.get(PAGE, query_string={"page": number}).status_code == 404, number


# The CSV download


def test_the_csv_holds_the_filtered_events_in_full(client, study):
    _, events = study
    logged_in(client, "ana@example.org")
    response = client.get(CSV, query_string={"until": "2025-03-09"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit-ceasefire.csv"'
    assert response.text.splitlines()[0] == ",".join(auditing.CSV_COLUMNS)
    rows = rows_of(response)
    assert [row["action"] for row in rows] == [
        "study.feedback_settings",
        "round.submit",
        "round.open",
        "study.create",
    ]
    settings, submitted, opened, _ = rows
    assert opened == {
        "at": "2025-03-06T23:30:00+00:00",
        "actor_email": "fac@example.org",
        "actor_name": "Fran Facilitator",
        "action": "round.open",
        "target": "round 1",
        "details": '{"after": "open", "before": "draft"}',
    }
    assert submitted["actor_email"] == submitted["actor_name"] == ""
    assert json.loads(settings["details"])["after"] == {
        "hide_until_answered": False,
        "min_answers": 5,
    }
    assert settings["details"].index('"hide_until_answered"') < settings["details"].index(
        '"min_answers"'
    )
    assert dt.datetime.fromisoformat(opened["at"]) == events["opened"].at


def test_the_csv_of_no_events_is_its_header(client, study):
    logged_in(client, "fac@example.org")
    response = client.get(CSV, query_string={"since": "2020-01-01", "until": "2020-01-02"})
    assert response.status_code == 200
    assert response.text == ",".join(auditing.CSV_COLUMNS) + "\n"


@pytest.mark.parametrize("typed", ['=HYPERLINK("http://x.test")', "+1", "-2", "@SUM(A1)", "\t=1"])
def test_a_cell_a_spreadsheet_would_run_starts_with_a_quote(session, client, study, typed):
    found, _ = study
    add_event(session, "question.resolve", at(11), study=found, target=typed)
    add_event(session, "study.feedback_settings", at(12), study=found, target="-", details={})
    session.commit()
    logged_in(client, "fac@example.org")
    rows = rows_of(client.get(CSV, query_string={"since": "2025-03-11", "until": "2025-03-12"}))
    assert [row["target"] for row in rows] == ["'-", "'" + typed]
    assert all(
        not cell.startswith(auditing.FORMULA_STARTS) for row in rows for cell in row.values()
    )
    page = client.get(PAGE, query_string={"since": "2025-03-11"})
    assert typed.strip() in text_of(page) and "'" + typed.strip() not in text_of(page)


def test_spreadsheet_safe_leaves_other_text_alone():
    assert auditing.spreadsheet_safe("round 1") == "round 1"
    assert auditing.spreadsheet_safe("") == ""
    assert auditing.spreadsheet_safe("a=b") == "a=b"
    assert auditing.spreadsheet_safe("=b") == "'=b"


# The trail of no study


def test_the_staff_trail_is_for_admins_and_lists_events_of_no_study(session, client, study):
    _, events = study
    add_event(session, "user.create", at(5), target="new@example.org", details={"role": "analyst"})
    session.commit()
    for email in ("fac@example.org", "ana@example.org"):
        logged_in(client, email)
        assert client.get(STAFF).status_code == 403
        assert client.get(STAFF + ".csv").status_code == 403
        studies = client.get("/facilitate/").text
        assert 'href="/facilitate/audit"' not in studies
        client.post("/logout", data={"csrf_token": csrf_token(studies)})
    logged_in(client, "adm@example.org")
    assert 'href="/facilitate/audit"' in client.get("/facilitate/").text
    page = client.get(STAFF)
    assert page.status_code == 200
    text = text_of(page)
    assert "Created a staff account new@example.org role: analyst" in text
    assert "ana@example.org" in text  # the fixture's users were created by the system
    assert not set(listed(page)) & {event.id for event in events.values()}
    march5 = client.get(STAFF, query_string={"since": "2025-03-05", "until": "2025-03-05"})
    assert len(listed(march5)) == 1
    download = client.get(STAFF + ".csv", query_string={"action": "user.create"})
    assert download.headers["Content-Disposition"] == 'attachment; filename="audit-staff.csv"'
    assert "new@example.org" in {row["target"] for row in rows_of(download)}
    assert client.get(STAFF, query_string={"since": "soon"}).status_code == 400


# Words


def recorded_actions() -> list[ast.AST]:
    """The action argument of every ``audit.record`` call in elicit's code."""
    found = []
    for path in sorted((PROJECT_ROOT / "elicit").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
            ):
                found.append(node.args[1])
    return found


def test_every_action_services_record_has_words():
    codes = set()
    for argument in recorded_actions():
        choices = (
            [argument.body, argument.orelse] if isinstance(argument, ast.IfExp) else [argument]
        )
        for choice in choices:
            assert isinstance(choice, ast.Constant), ast.unparse(argument)
            codes.add(choice.value)
    assert {"round.open", "round.close", "study.feedback_settings", "rationale.hide"} <= codes
    assert codes <= set(ACTION_NAMES), codes - set(ACTION_NAMES)


def test_an_action_or_detail_without_words_is_shown_by_its_code(app):
    with app.test_request_context():
        assert action_name("round.close") == "Closed a round"
        assert action_name("study.teleport") == "study.teleport"
        assert detail_lines({"before": 3, "after": 1500}) == ["from 3 to 1,500"]
        assert detail_lines({"before": "open", "after": "closed", "round": 2}) == [
            "from open to closed",
            "round: 2",
        ]
        assert detail_lines({"colour": "blue", "sets": ["a", "b"], "value": 0.125}) == [
            "colour: blue",
            "question sets: a, b",
            "value: 0.125",
        ]
        assert detail_lines(
            {"before": {"hide_until_answered": False}, "after": {"hide_until_answered": True}}
        ) == ["feedback only once answered: from no to yes"]
        assert detail_lines({"before": None, "after": {"k": 1}}) == ["k: from none to 1"]
        assert detail_lines({}) == []
        warsaw = formatting.zone("Europe/Warsaw")
        assert detail_lines(
            {"before": None, "after": "2025-03-07T14:05:00+00:00", "expert": "Alder"}, warsaw
        ) == ["from none to March 7, 2025, 3:05:00\u202fPM +0100", "expert: Alder"]
        assert detail_lines({"note": "2025-03-07T14:05 tomorrow"}) == [
            "note: 2025-03-07T14:05 tomorrow"
        ]


# The services record what changed


@pytest.fixture
def running(session):
    """A study with one question and three experts, round 1 open, the owner acting."""
    owner = factories.user(session)
    found = factories.study(session, owner=owner)
    question = factories.question(session, found)
    experts = [
        add_expert(session, found, pseudonym=name, name="n", email=f"{name}@x.test")
        for name in ("Alder", "Birch", "Cedar")
    ]
    round_ = create_round(session, found, actor=owner)
    open_round(session, round_, actor=owner)
    judgment = record_judgment(
        session, experts[0], question, round_, Answer(probability=0.4, rationale="Why.")
    )
    return found, owner, round_, judgment


def last_event(session, action):
    """The newest event with ``action``."""
    return session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    ).first()


def test_round_changes_record_the_state_before_and_after(session, running):
    _, owner, round_, _ = running
    assert last_event(session, "round.open").details == {"before": "draft", "after": "open"}
    close_round(session, round_, actor=owner)
    event = last_event(session, "round.close")
    assert event.details == {
        "before": "open",
        "after": "closed",
        "closed_at": round_.closed_at.isoformat(),
    }
    assert event.actor_id == owner.id and event.target == "round 1"


def test_feedback_settings_record_before_and_after_and_nothing_when_unchanged(session, running):
    found, owner, _, _ = running
    count = sa.select(sa.func.count()).where(AuditEvent.action == "study.feedback_settings")
    update_settings(session, found, min_answers=3, hide_until_answered=False, actor=owner)
    assert session.scalar(count) == 0
    update_settings(session, found, min_answers=4, hide_until_answered=False, actor=owner)
    assert last_event(session, "study.feedback_settings").details == {
        "before": {"min_answers": 3, "hide_until_answered": False},
        "after": {"min_answers": 4, "hide_until_answered": False},
    }
    assert session.scalar(count) == 1


def test_hiding_a_rationale_records_before_and_after(session, running):
    _, owner, _, judgment = running
    set_rationale_hidden(session, judgment, True, actor=owner)
    assert last_event(session, "rationale.hide").details == {
        "round": 1,
        "before": "shown",
        "after": "hidden",
    }
    set_rationale_hidden(session, judgment, False, actor=owner)
    assert last_event(session, "rationale.show").details == {
        "round": 1,
        "before": "hidden",
        "after": "shown",
    }
