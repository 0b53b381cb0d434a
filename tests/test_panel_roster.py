"""Reading a panel file: every kind of bad row named with its line, the good rows kept."""

import pytest

from elicit.panels.roster import Problem, RosterRow, read_roster


def _problems(roster):
    return [(p.line, p.problem) for p in roster.problems]


def test_a_good_file_gives_every_row_with_its_line_and_group():
    data = b"Name,Email,Group\nAda Lovelace,ada@x.test,Officials\nAlan Turing,alan@x.test,\n"
    roster = read_roster(data)
    assert roster.problems == []
    assert roster.rows == [
        RosterRow(2, "Ada Lovelace", "ada@x.test", "Officials"),
        RosterRow(3, "Alan Turing", "alan@x.test", ""),
    ]


def test_the_group_column_is_optional_and_a_bom_and_crlf_and_blank_lines_are_fine():
    data = "\ufeffname,email\r\n\r\nZoë Ząbek,zoe@x.test\r\n".encode()
    roster = read_roster(data)
    assert roster.problems == []
    assert roster.rows == [RosterRow(3, "Zoë Ząbek", "zoe@x.test", "")]


def test_every_bad_row_is_named_with_its_line_and_reason():
    data = (
        b"name,email,group\n"
        b"Ada,ada@x.test,A\n"  # 2 good
        b",nobody@x.test,A\n"  # 3 missing name
        b"Bob\n"  # 4 missing e-mail column
        b"Carl,carl-at-x.test,\n"  # 5 bad e-mail
        b"Ada again,ADA@x.test,\n"  # 6 duplicate of line 2
        b"Dora,dora@x.test,B,extra\n"  # 7 too many values
        b"Ewa,on-panel@x.test,\n"  # 8 already on the panel
        b"Fr\xe9d\xe9ric,fred@x.test,\n"  # 9 Latin-1, not UTF-8
        + b"Gus,gus@x.test,"
        + b"g" * 121
        + b"\n"  # 10 group too long
        b'"Hal\nHalford",hal@x.test,\n'  # 11-12: one quoted record over two lines, good
        b"Ivy,ivy@x.test,\n"  # 13 good
    )
    roster = read_roster(data, on_panel={"on-panel@x.test"})
    assert _problems(roster) == [
        (3, Problem.MISSING_VALUE),
        (4, Problem.MISSING_VALUE),
        (5, Problem.BAD_EMAIL),
        (6, Problem.DUPLICATE_IN_FILE),
        (7, Problem.EXTRA_VALUES),
        (8, Problem.ALREADY_ON_PANEL),
        (9, Problem.NOT_UTF8),
        (10, Problem.TOO_LONG),
    ]
    assert [p.detail for p in roster.problems[:4]] == ["name", "email", "carl-at-x.test", "2"]
    assert [(row.line, row.email) for row in roster.rows] == [
        (2, "ada@x.test"),
        (11, "hal@x.test"),
        (13, "ivy@x.test"),
    ]


@pytest.mark.parametrize(
    "data",
    [b"", b"\n\n", b"email,name\nAda,ada@x.test\n", b"Ada,ada@x.test\n", b"name\nAda\n"],
    ids=["empty", "blank", "wrong-order", "no-header", "no-email-column"],
)
def test_a_file_without_the_header_is_refused_at_line_one(data):
    roster = read_roster(data)
    assert roster.rows == []
    assert [p.problem for p in roster.problems] == [Problem.NO_HEADER]


def test_a_header_that_is_not_utf8_stops_the_reading():
    roster = read_roster(b"n\xe4me,email\nAda,ada@x.test\n")
    assert _problems(roster) == [(1, Problem.NOT_UTF8)]
    assert roster.rows == []


def test_an_unclosed_quote_that_runs_past_the_field_limit_is_reported_not_raised():
    data = b'name,email\nAda,ada@x.test\n"Bob,' + b"x" * 200_000 + b"\n"
    roster = read_roster(data)
    assert [row.line for row in roster.rows] == [2]
    assert _problems(roster) == [(3, Problem.UNREADABLE)]


def test_an_email_too_long_is_its_own_reason():
    roster = read_roster(b"name,email\nAda," + b"a" * 250 + b"@x.test\n")
    assert [(p.problem, p.detail) for p in roster.problems] == [(Problem.TOO_LONG, "email")]


def test_messages_say_what_is_wrong_in_words(app):
    with app.test_request_context():
        roster = read_roster(b"name,email\nAda,ada@x.test\nAda,ada@x.test\nB,b@\n")
        messages = [p.message for p in roster.problems]
    assert messages == [
        "the same e-mail address is already on line 2",
        "b@ is not an e-mail address",
    ]
