"""Load the replication-markets survey forecasts (tests/data/replication-markets, CC0)."""

import csv
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

DATA = Path(__file__).parent.parent / "data" / "replication-markets"


class ReplicationMarkets(NamedTuple):
    probability: np.ndarray  # one survey response per row, in [0, 1]
    finding: np.ndarray  # finding index of each response, in [0, n_findings)
    forecaster: np.ndarray  # forecaster index of each response, in [0, n_forecasters)
    replicated: np.ndarray  # outcome of each finding, 0/1, shape (n_findings,)
    project: np.ndarray  # project index of each finding (order of `projects`)
    projects: tuple[str, ...]
    n_findings: int
    n_forecasters: int


@cache
def load() -> ReplicationMarkets:
    with open(DATA / "findings.csv", newline="") as f:
        findings = list(csv.DictReader(f))
    with open(DATA / "survey_forecasts.csv", newline="") as f:
        forecasts = list(csv.DictReader(f))
    index = {(r["project"], r["finding_id"]): i for i, r in enumerate(findings)}
    projects = tuple(sorted({r["project"] for r in findings}))
    people = {p: i for i, p in enumerate(sorted({r["forecaster_id"] for r in forecasts}))}
    return ReplicationMarkets(
        probability=np.array([float(r["response"]) for r in forecasts]),
        finding=np.array([index[(r["project"], r["finding_id"])] for r in forecasts]),
        forecaster=np.array([people[r["forecaster_id"]] for r in forecasts]),
        replicated=np.array([int(r["replicated"]) for r in findings]),
        project=np.array([projects.index(r["project"]) for r in findings]),
        projects=projects,
        n_findings=len(findings),
        n_forecasters=len(people),
    )
