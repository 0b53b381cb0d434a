"""The analysis service: the one way from judgments to the numbers :mod:`elicit.core` computes.

Pages, files and commands never call the core themselves: round statistics
(:mod:`.round_statistics`), an expert's scored record (:mod:`.expert_record`),
the offline commands on files (:mod:`.cli`, reading :mod:`.longform`) and a
study's downloads (:mod:`.exports`) all go through this package, so a
statistic is computed one way everywhere.
"""
