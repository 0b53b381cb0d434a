"""The analysis service: the one way from judgments to the numbers :mod:`elicit.core` computes.

Pages, files and commands never call the core themselves: round statistics
(:mod:`.round_statistics`), an expert's scored record (:mod:`.expert_record`),
the offline commands on files (:mod:`.cli`, reading :mod:`.longform`) and a
study's downloads (:mod:`.exports`) all go through this package, so a
statistic is computed one way everywhere.
"""


def preload() -> None:
    """Import the core's modules now rather than when a page first needs them.

    They import SciPy's statistics, about a second of a new process's time;
    a web worker calls this before it takes requests (:func:`elicit.app.warm`),
    so no expert's page waits for it. Commands do not: they import what they use.
    """
    from elicit.core import aggrecat, consensus, distributions, pooling  # noqa: F401
