"""Write anduryl_1.2.2.json: ANDURYL 1.2.2's results for the studies in this folder.

Not a test. Run with ANDURYL 1.2.2 installed (a throwaway virtualenv):

    python -m venv /tmp/anduryl && /tmp/anduryl/bin/pip install anduryl==1.2.2 \
        'numpy<2' 'pandas<2.3' 'pydantic<2'
    QT_QPA_PLATFORM=offscreen /tmp/anduryl/bin/python tests/data/cooke/anduryl_expected.py

ANDURYL is GPL-3 and is only run here, never imported by elicit.
"""

import json
import warnings
from pathlib import Path

import anduryl
import numpy as np

warnings.simplefilter("ignore")
HERE = Path(__file__).resolve().parent
STUDIES = {
    "tobacco": ("tobacco.dtt", "tobacco.rls"),
    "ATCEP Error": ("ATCEP Error.dtt", "ATCEP Error.rls"),
    "Daniela": ("Daniela.dtt", "Daniela.rls"),
    "7quants": ("7quants.dtt", "7quants.rls"),
    "TdC": ("TdC.DTT", "TdC.RLS"),
}
# the user weights of ANDURYL's example notebook (notebooks/Example Anduryl with scripting)
USER_WEIGHTS = {"tobacco": [1.5, 0.2, 0.3, 0.4, 0.3, 0.4, 0.5]}


def load(name):
    dtt, rls = STUDIES[name]
    project = anduryl.Project()
    project.io.load_excalibur(HERE / dtt, HERE / rls)
    return project


def run(name, weight_type, alpha, user_weights=None):
    project = load(name)
    if user_weights is not None:
        project.experts.user_weights[: len(user_weights)] = user_weights
    project.calculate_decision_maker(
        weight_type=weight_type, overshoot=0.1, exp_id="DM", alpha=alpha
    )
    e = project.experts
    actual, dm = e.actual_experts, e.get_idx("DM")
    alpha = project.main_results.alpha_opt
    comb, cal = e.comb_score[actual], e.calibration[actual]
    weights = comb * (cal >= alpha)
    return {
        "experts": {
            "calibration": cal.tolist(),
            "information_all": e.info_total[actual].tolist(),
            "information_seeds": e.info_real[actual].tolist(),
            "combined": comb.tolist(),
            "weights": (weights / weights.sum()).tolist(),
        },
        "alpha": float(alpha),
        "dm": {
            "calibration": float(e.calibration[dm]),
            "information_all": float(e.info_total[dm]),
            "information_seeds": float(e.info_real[dm]),
            "combined": float(e.comb_score[dm]),
            "quantiles": np.nan_to_num(project.assessments.array[dm].T, nan=-1.0).tolist(),
        },
    }


def robustness(name, weight_type):
    out = {}
    for kind in ("item", "expert"):
        project = load(name)
        project.calculate_decision_maker(weight_type=weight_type, overshoot=0.1, exp_id="DM")
        calculate = getattr(project, f"calculate_{kind}_robustness")
        calculate(weight_type=weight_type, overshoot=0.1, max_exclude=1, min_exclude=1)
        table = getattr(project.main_results, f"{kind}_robustness")
        # rows: left-out id -> (information all items, information seeds, calibration)
        out[kind] = {key[0]: list(value) for key, value in table.items()}
    return out


result = {"anduryl": anduryl.__version__, "overshoot": 0.1, "studies": {}}
for name in STUDIES:
    study = {"global": run(name, "global", None), "item": run(name, "item", None)}
    study["equal"] = run(name, "equal", 0.0)
    if name in USER_WEIGHTS:
        study["user"] = run(name, "user", None, USER_WEIGHTS[name])
        study["user"]["user_weights"] = USER_WEIGHTS[name]
    if name == "tobacco":
        study["robustness"] = {w: robustness(name, w) for w in ("global", "item")}
    result["studies"][name] = study

(HERE / "anduryl_1.2.2.json").write_text(json.dumps(result, indent=1) + "\n")
