"""The crowd of :mod:`benchmarks.load`: experts answering the demo's open round, and a facilitator.

Run by ``benchmarks/load.py`` (``locust --headless -f benchmarks/load_locustfile.py``), never on its
own. Settings come from the environment:

``LOAD_PLAN``
    A JSON file written by ``load.py prepare``: the experts' invitation tokens, the answer form that
    submits every question of the open round, a few drafts, the round number, the study and the
    facilitator's login.
``LOAD_OUT``
    Where this run writes what it saw (JSON): every request's name, status and time, and which
    experts had their submission acknowledged.
``LOAD_CLOSE_AFTER``
    Close the round once this fraction of the experts has been acknowledged (``1`` never closes).
``LOAD_SPAWN_RATE``
    The users started per second (locust's ``-r``), from which each user's arrival is spread.

Locust starts users in batches: ``floor(rate)`` of them at the same instant, once per
``floor(rate) / rate`` seconds. People do not click their links in step, so each user (expert or
baseline) first waits a random moment within its batch's interval: arrivals keep the same mean
rate but come one at a time, not twenty at once.

The users are locust's ``FastHttpUser`` (geventhttpclient): locust runs on the same CPUs as the
server, and its requests-based ``HttpUser`` cost about half as much CPU again per expert (19 ms
against 13 ms measured at 200 experts, most of it reading the 240 KB answer page twice).

Each expert opens their link, pauses 1-5 s between actions as people do, saves a few drafts (the
page's autosave), reloads the page, and submits the whole round. A submission that fails (a 5xx
or a lost connection, as in the fault run) is sent again, up to three times, as an expert would.
"""

from __future__ import annotations

import json
import os
import random
import re
import time

import gevent
from locust import FastHttpUser, events, task
from locust.exception import StopUser

with open(os.environ["LOAD_PLAN"], encoding="utf-8") as plan_file:
    PLAN = json.load(plan_file)
CLOSE_AFTER = float(os.environ.get("LOAD_CLOSE_AFTER", "1"))
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

samples: list[tuple[str, int, float, str]] = []
acknowledged: list[str] = []
tokens = list(PLAN["tokens"])
finished = 0
closed_at: float | None = None
started = time.monotonic()
_RATE = float(os.environ.get("LOAD_SPAWN_RATE", "1"))
ARRIVAL_SPREAD_S = max(1, int(_RATE)) / _RATE
"""Locust's interval between batches of users; each user arrives at a random moment within it."""


def pause() -> None:
    """Wait 1-5 s, as a person does between actions."""
    gevent.sleep(random.uniform(1, 5))


def csrf(html: str) -> str:
    """Return the CSRF token of a page's form ('' if it has none)."""
    found = _CSRF.search(html)
    return found.group(1) if found else ""


@events.request.add_listener
def _record(name, response_time, response, exception, **_kwargs):  # noqa: ANN001
    """Keep every request's name, status (0: no answer), time in milliseconds and error, if any."""
    status = getattr(response, "status_code", 0) or 0
    error = type(exception).__name__ if exception and not status else ""
    samples.append((name, status, response_time, error))


@events.quitting.add_listener
def _write(environment, **_kwargs):  # noqa: ANN001
    """Write what was seen for ``load.py`` to check against the database."""
    environment.process_exit_code = 0
    with open(os.environ["LOAD_OUT"], "w", encoding="utf-8") as out:
        json.dump(
            {
                "samples": samples,
                "acknowledged": acknowledged,
                "closed_after_s": closed_at,
                "users_finished": finished,
            },
            out,
        )


def _finish(user: FastHttpUser) -> None:
    """Count a finished expert; the last one ends the run."""
    global finished
    finished += 1
    if finished >= len(PLAN["tokens"]):
        gevent.spawn_later(1, user.environment.runner.quit)
    raise StopUser()


class Visitor(FastHttpUser):
    """A user who takes one place in the plan (an expert's token) and visits once.

    Locust replaces users that stopped while it is still starting the rest, so
    each takes a token and one that finds none left stops at once.
    """

    abstract = True
    wait_time = staticmethod(lambda: 0)

    def on_start(self) -> None:
        """Take one token (each expert is a different person)."""
        self.token = tokens.pop() if tokens else None

    def arrive(self) -> None:
        """Stop if no place was left; else wait a random moment within the batch's interval."""
        if self.token is None:
            raise StopUser()
        gevent.sleep(random.uniform(0, ARRIVAL_SPREAD_S))


class Expert(Visitor):
    """One expert's visit: link, drafts, reload, submission."""

    def submit(self, number: int, token_csrf: str) -> str:
        """Send the whole round; return how it ended (acknowledged, closed, refused or failed)."""
        for _attempt in range(3):
            with self.client.post(
                f"/expert/rounds/{number}/answers",
                data={**PLAN["form"], "action": "submit", "csrf_token": token_csrf},
                name="submit",
                allow_redirects=False,
                catch_response=True,
            ) as response:
                location = response.headers.get("Location", "")
                if response.status_code == 302 and "/receipt" in location:
                    response.success()
                    return "acknowledged"
                if response.status_code == 409:
                    response.success()
                    return "closed"
                if response.status_code in (302, 400):
                    response.failure(f"refused: {response.status_code} {location}")
                    return "refused"
                response.failure(f"no acknowledgement: {response.status_code}")
            gevent.sleep(2)
        return "failed"

    @task
    def visit(self) -> None:
        """Answer the round as a person does, then leave."""
        global closed_at
        self.arrive()
        page = self.client.get(f"/invite/{self.token}", name="open link")
        token_csrf = csrf(page.text)
        number = PLAN["round"]
        pause()
        self.client.post(
            f"/expert/rounds/{number}/drafts",
            json={"answers": PLAN["drafts"]},
            headers={"X-CSRFToken": token_csrf},
            name="autosave",
        )
        pause()
        page = self.client.get("/expert/round", name="answer page")
        token_csrf = csrf(page.text) or token_csrf
        pause()
        if self.submit(number, token_csrf) == "acknowledged":
            acknowledged.append(self.token)
            if closed_at is None and len(acknowledged) >= CLOSE_AFTER * len(PLAN["tokens"]):
                closed_at = time.monotonic() - started
                gevent.spawn(close_round, self.environment)
        _finish(self)


def close_round(environment) -> None:  # noqa: ANN001
    """Log in as the facilitator and close the round while experts are still answering."""
    client = Expert(environment).client
    page = client.get("/login", name="facilitator login")
    client.post(
        "/login",
        data={
            "email": PLAN["facilitator"]["email"],
            "password": PLAN["facilitator"]["password"],
            "csrf_token": csrf(page.text),
        },
        name="facilitator login",
    )
    close = f"/facilitate/studies/{PLAN['study']}/rounds/{PLAN['round']}/close"
    page = client.get(close, name="close round")
    client.post(close, data={"csrf_token": csrf(page.text)}, name="close round")


class Bare(Visitor):
    """The baseline: a bare Flask endpoint under the same gunicorn, paced like the experts."""

    @task
    def visit(self) -> None:
        """Four requests with the experts' pauses between them, then leave."""
        self.arrive()
        for _ in range(4):
            self.client.get("/", name="bare")
            pause()
        _finish(self)
