"""Cooke's classical model on the 57 TU Delft studies: elicit.core.cooke against ANDURYL 1.2.2.

Run from the project root: ``.venv/bin/python benchmarks/bench_cooke.py``. One run
prints every figure: the time of the global-weight decision maker with alpha
optimisation plus the item-weight decision maker, per study and in total, for
elicit and for ANDURYL 1.2.2 (installed by this script into a throwaway
virtualenv under ``build/bench-anduryl/`` and timed in a subprocess); the
agreement of every expert's calibration, information and weight to 1e-6; and,
for each study where the two differ, the cause, checked by asking ANDURYL's own
code.

Data: ``../shared/reference-data/cooke-tudelft`` relative to the project
root's parent (TU Delft expert judgment database, CC BY 4.0).

Timing: each side's time for a study is the best of ``REPEATS`` runs (the
machine may be shared); files are read before timing, by each side's reader.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from elicit.core import cooke  # noqa: E402
from elicit.core.excalibur import read_excalibur  # noqa: E402

DATA = ROOT.parent / "shared" / "reference-data" / "cooke-tudelft"
BUILD = ROOT / "build" / "bench-anduryl"
VENV = BUILD / "venv"
PINS = ["anduryl==1.2.2", "numpy<2", "pandas<2.3", "pydantic<2"]
REPEATS = 3
TOLERANCE = 1e-6
WEIGHTINGS = ("global", "item")

# Runs inside the ANDURYL virtualenv. Modes:
#   run  {"studies": [[name, dtt, rls]], "repeats": n} -> scores and best time per DM
#   chi2 {"points": [[x, df]]} -> ANDURYL's calibration formula 1 - chi2cdf(x, df)
#   dm   {"cases": [[dtt, rls, weighting, alpha]]} -> ANDURYL's DM at a fixed alpha
RUNNER = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np
import anduryl
from anduryl.core.experts import chi2cdf

def load(dtt, rls):
    project = anduryl.Project()
    project.io.load_excalibur(dtt, rls)
    return project

def scores(project, exp_id):
    e = project.experts
    actual = e.actual_experts
    dm = e.get_idx(exp_id)
    alpha = project.main_results.alpha_opt
    comb, cal = e.comb_score[actual], e.calibration[actual]
    weights = comb * (cal >= alpha)
    return dict(
        calibration=cal.tolist(), info_all=e.info_total[actual].tolist(),
        info_seeds=e.info_real[actual].tolist(), combined=comb.tolist(),
        weights=(weights / weights.sum()).tolist(), alpha=float(alpha),
        dm=[float(e.calibration[dm]), float(e.info_total[dm]), float(e.info_real[dm])],
    )

job = json.load(sys.stdin)
if job["mode"] == "run":
    out = {}
    for name, dtt, rls in job["studies"]:
        out[name] = {}
        for weighting in ("global", "item"):
            best = float("inf")
            for _ in range(job["repeats"]):
                project = load(dtt, rls)
                start = time.perf_counter()
                project.calculate_decision_maker(
                    weight_type=weighting, overshoot=0.1, exp_id="DM", alpha=None)
                best = min(best, time.perf_counter() - start)
            out[name][weighting] = dict(scores(project, "DM"), seconds=best)
elif job["mode"] == "chi2":
    out = []
    for x, df in job["points"]:
        try:
            out.append(1 - chi2cdf(x=x, df=df))
        except Exception as error:
            out.append(repr(error))
elif job["mode"] == "dm":
    out = []
    for dtt, rls, weighting, alpha in job["cases"]:
        project = load(dtt, rls)
        project.calculate_decision_maker(
            weight_type=weighting, overshoot=0.1, exp_id="DM", alpha=alpha)
        out.append(scores(project, "DM")["dm"])
json.dump(out, sys.stdout)
"""


def fail(message: str) -> None:
    """Stop with a message on stderr."""
    print(f"bench_cooke: {message}", file=sys.stderr)
    raise SystemExit(2)


def studies() -> list[tuple[str, Path, Path]]:
    """Return the (name, .dtt, .rls) triples of the reference data, sorted by name."""
    if not DATA.is_dir():
        fail(
            f"reference data not found at {DATA} (expected ../shared/reference-data/"
            "cooke-tudelft next to the project root: the TU Delft studies in EXCALIBUR format)"
        )
    files = {p.name.lower(): p for p in DATA.iterdir()}
    found = []
    for path in sorted(DATA.iterdir(), key=lambda p: p.stem.lower()):
        if path.suffix.lower() == ".dtt":
            rls = files.get(path.stem.lower() + ".rls")
            if rls is None:
                fail(f"{path.name} has no .rls file next to it")
            found.append((path.stem, path, rls))
    if not found:
        fail(f"no .dtt files in {DATA}")
    return found


def anduryl_python() -> tuple[Path, str]:
    """Create the throwaway ANDURYL virtualenv if needed; return its python and a status."""
    python = VENV / "bin" / "python"
    check = [str(python), "-c", "import anduryl, numpy; print(anduryl.__version__)"]
    if python.exists():
        ready = subprocess.run(check, capture_output=True, text=True, env=_env())
        if ready.returncode == 0 and ready.stdout.strip() == "1.2.2":
            return python, "ready"
    start = time.perf_counter()
    BUILD.mkdir(parents=True, exist_ok=True)
    for command in (
        [sys.executable, "-m", "venv", "--clear", str(VENV)],
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PINS],
    ):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            fail(f"could not set up ANDURYL ({' '.join(command)}):\n{done.stderr[-2000:]}")
    ready = subprocess.run(check, capture_output=True, text=True, env=_env())
    if ready.returncode != 0 or ready.stdout.strip() != "1.2.2":
        fail(f"ANDURYL 1.2.2 does not import in {VENV}:\n{ready.stderr[-2000:]}")
    return python, f"installed {', '.join(PINS)} in {time.perf_counter() - start:.0f} s"


def _env() -> dict[str, str]:
    # ANDURYL imports PyQt5 widgets; no window is opened, but Qt must not look for a display.
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def anduryl(python: Path, job: dict) -> object:
    """Run the ANDURYL side in its virtualenv and return its JSON answer."""
    script = BUILD / "run_anduryl.py"
    script.write_text(RUNNER)
    done = subprocess.run(
        [str(python), str(script)], input=json.dumps(job), capture_output=True, text=True,
        env=_env(),
    )  # fmt: skip
    if done.returncode != 0:
        fail(f"ANDURYL run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def elicit_side(loaded: dict) -> dict:
    """Best-of-REPEATS time and the scores of both decision makers for every study."""
    out = {}
    for name, study in loaded.items():
        out[name] = {}
        args = (study.answers, study.realizations, study.quantiles, study.log_scale)
        for weighting in WEIGHTINGS:
            best = float("inf")
            for _ in range(REPEATS):
                start = time.perf_counter()
                model = cooke.classical_model(*args, weighting=weighting)
                best = min(best, time.perf_counter() - start)
            out[name][weighting] = (model, best)
    return out


def differences(model: cooke.ClassicalModel, theirs: dict) -> dict[str, float]:
    """Largest absolute difference per quantity (experts' and the DM's)."""
    pairs = {
        "calibration": (model.calibration, theirs["calibration"]),
        "information (seeds)": (model.information_seeds, theirs["info_seeds"]),
        "information (all items)": (model.information_all, theirs["info_all"]),
        "weight (cal x info)": (model.combined, theirs["combined"]),
        "weight (normalised)": (model.weights, theirs["weights"]),
        "alpha": (model.alpha, theirs["alpha"]),
        "DM scores": (
            [model.dm.calibration, model.dm.information_all, model.dm.information_seeds],
            theirs["dm"],
        ),
    }
    return {k: float(np.max(np.abs(np.subtract(a, b)))) for k, (a, b) in pairs.items()}


EXPERT_KEYS = (
    "calibration",
    "information (seeds)",
    "information (all items)",
    "weight (cal x info)",
    "weight (normalised)",
)


def statistic(answers: np.ndarray, study, n_seeds: int) -> np.ndarray:
    """2 N I(s, p), the calibration statistic, for quantile arrays (n, items, quantiles)."""
    counts = cooke.bin_counts(answers, study.realizations).astype(float)
    p = np.diff(np.concatenate([[0.0], study.quantiles, [1.0]]))
    s = counts / counts.sum(-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(s > 0, s * np.log(s / p), 0.0)
    return 2.0 * n_seeds * terms.sum(-1)


def _chi2_reasons(python, labels, stats, anduryl_values, exact_values, df) -> list[str]:
    formula = anduryl(python, {"mode": "chi2", "points": [[float(x), df] for x in stats]})
    reasons = []
    for label, x, value, target, exact in zip(
        labels, stats, formula, anduryl_values, exact_values, strict=True
    ):
        same = isinstance(value, float) and abs(value - target) < 1e-12
        shown = value if isinstance(value, str) else f"{value:.9g}"
        reasons.append(
            f"{label}: calibration {target:.9g} in ANDURYL, {exact:.9g} exact (SciPy); ANDURYL's "
            f"own chi-square tail (a 100-term continued fraction) at 2NI = {x:.6g}, df = {df} "
            f"gives {shown}" + (" (reproduced)" if same else " (NOT reproduced)")
        )
    return reasons


def explain(study, paths, model, theirs, python) -> list[str]:
    """Find out, with ANDURYL's own code, why the two differ on one study and weighting."""
    reasons = []
    df = study.quantiles.size
    cal_theirs = np.array(theirs["calibration"])
    off = np.flatnonzero(np.abs(model.calibration - cal_theirs) > TOLERANCE)
    if off.size:
        stat = statistic(study.answers, study, model.n_seeds)
        labels = [f"expert {study.expert_ids[e]}" for e in off]
        reasons += _chi2_reasons(
            python, labels, stat[off], cal_theirs[off], model.calibration[off], df
        )
    if abs(model.alpha - theirs["alpha"]) <= TOLERANCE:
        if abs(model.dm.calibration - theirs["dm"][0]) > TOLERANCE:
            stat = statistic(model.dm.quantiles[None], study, model.n_seeds)
            reasons += _chi2_reasons(
                python, ["the DM"], stat, [theirs["dm"][0]], [model.dm.calibration], df
            )
        return reasons or ["(no cause found)"]

    values = np.unique(cal_theirs)
    for alpha in sorted({model.alpha, theirs["alpha"]}):
        near = values[np.abs(values - alpha) <= cooke.TIE_RTOL * alpha]
        if near.size > 1:
            experts = [study.expert_ids[e] for e in np.flatnonzero(np.isin(cal_theirs, near))]
            reasons.append(
                f"ANDURYL splits a tie: experts {', '.join(experts)} have calibration "
                f"{alpha:.12g}, equal up to rounding ({np.ptp(near):.1e}); ANDURYL tries "
                f"{', '.join(repr(float(v)) for v in near)} as separate alpha levels"
                + (
                    f"; its alpha keeps only "
                    f"{', '.join(study.expert_ids[e] for e in np.flatnonzero(cal_theirs >= alpha))}"
                    if alpha == theirs["alpha"]
                    else ""
                )
            )
    # our alpha is the calibration of some experts: ANDURYL's DM at their ANDURYL calibration
    ours = np.abs(model.calibration - model.alpha) <= cooke.TIE_RTOL * model.alpha
    candidate = float(cal_theirs[ours].min())
    dtt, rls = paths
    dm = anduryl(
        python, {"mode": "dm", "cases": [[str(dtt), str(rls), model.weighting, candidate]]}
    )
    dm_cal = dm[0][0]
    if dm_cal < candidate and candidate - dm_cal <= cooke.TIE_RTOL * candidate:
        reasons.append(
            f"ANDURYL's DM at alpha = {candidate!r} has calibration {dm_cal!r}, below alpha by "
            f"rounding only, so ANDURYL scores it 0; here that DM scores "
            f"{model.dm.combined:.6g}, the best of all alphas"
        )
    # the same threshold here: our calibration of the experts at ANDURYL's alpha
    at_alpha = cal_theirs == theirs["alpha"]
    alpha = float(model.calibration[at_alpha].min()) if at_alpha.any() else theirs["alpha"]
    fixed = cooke.classical_model(
        study.answers, study.realizations, study.quantiles, study.log_scale,
        weighting=model.weighting, alpha=alpha,
    )  # fmt: skip
    rest = differences(fixed, theirs)
    reasons.append(
        f"alpha: ANDURYL {theirs['alpha']:.9g}, here {model.alpha:.9g}; at ANDURYL's alpha "
        f"the largest remaining difference in weights is "
        f"{max(rest['weight (normalised)'], rest['weight (cal x info)']):.1e}, in DM scores "
        f"{rest['DM scores']:.1e}"
    )
    return reasons


def main() -> None:
    """Time both implementations on every study, check agreement, explain differences."""
    found = studies()
    python, status = anduryl_python()
    loaded = {name: read_excalibur(dtt, rls) for name, dtt, rls in found}
    paths = {name: (dtt, rls) for name, dtt, rls in found}

    job = {
        "mode": "run",
        "repeats": REPEATS,
        "studies": [[name, str(dtt), str(rls)] for name, dtt, rls in found],
    }
    theirs = anduryl(python, job)
    ours = elicit_side(loaded)

    print("Cooke's classical model: elicit.core.cooke against ANDURYL 1.2.2")
    print(f"data    {DATA} ({len(found)} studies)")
    print(f"ANDURYL {VENV} ({status})")
    print(
        f"timed   global-weight DM with alpha optimisation + item-weight DM with alpha "
        f"optimisation, overshoot 0.1; best of {REPEATS} runs per study and side\n"
    )
    header = (
        f"{'study':<34}{'E':>4}{'I':>5}{'seeds':>6}{'ANDURYL ms':>12}{'elicit ms':>11}"
        f"{'speed-up':>10}  {'max |diff| experts':>18}  agree"
    )
    print(header)
    print("-" * len(header))
    total_a = total_e = 0.0
    disagreements = []
    for name, study in loaded.items():
        t_a = sum(theirs[name][w]["seconds"] for w in WEIGHTINGS)
        t_e = sum(ours[name][w][1] for w in WEIGHTINGS)
        total_a, total_e = total_a + t_a, total_e + t_e
        worst, agree = 0.0, True
        for weighting in WEIGHTINGS:
            diff = differences(ours[name][weighting][0], theirs[name][weighting])
            worst = max(worst, *(diff[k] for k in EXPERT_KEYS))
            if any(diff[k] > TOLERANCE for k in EXPERT_KEYS) or max(diff.values()) > TOLERANCE:
                disagreements.append((name, weighting, diff))
                agree = agree and not any(diff[k] > TOLERANCE for k in EXPERT_KEYS)
        n_e, n_i, _ = study.answers.shape
        flag = "yes" if agree else "NO"
        print(
            f"{name:<34}{n_e:>4}{n_i:>5}{int(study.is_seed.sum()):>6}{t_a * 1e3:>12.1f}"
            f"{t_e * 1e3:>11.2f}{t_a / t_e:>9.1f}x  {worst:>18.1e}  {flag}"
        )
    print("-" * len(header))
    speedup = total_a / total_e
    print(
        f"{'total':<49}{total_a * 1e3:>12.1f}{total_e * 1e3:>11.2f}{speedup:>9.1f}x   "
        f"(target >= 5x: {'met' if speedup >= 5 else 'NOT met'})\n"
    )

    expert_fail = {n for n, _, d in disagreements if any(d[k] > TOLERANCE for k in EXPERT_KEYS)}
    print(
        f"Agreement to {TOLERANCE:g} on every expert's calibration, information (seeds and all "
        f"items) and weight (unnormalised and normalised), both DMs: "
        f"{len(loaded) - len(expert_fail)} of {len(loaded)} studies; "
        f"alpha and DM scores as well: "
        f"{len(loaded) - len({n for n, _, _ in disagreements})} of {len(loaded)}."
    )
    if disagreements:
        print("\nWhere the two differ, and why (causes checked with ANDURYL's own code):")
    for name, weighting, diff in disagreements:
        model = ours[name][weighting][0]
        big = ", ".join(f"{k} {v:.1e}" for k, v in diff.items() if v > TOLERANCE)
        print(f"\n  {name}, {weighting} weights: largest differences: {big}")
        for reason in explain(loaded[name], paths[name], model, theirs[name][weighting], python):
            print(f"    - {reason}")


if __name__ == "__main__":
    main()
