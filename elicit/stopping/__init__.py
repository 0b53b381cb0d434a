"""Pre-registered stopping rules: what counts as "settled" for each question, fixed before round 1.

Models in :mod:`.models`, rules in :mod:`.services`.

A Delphi study should say in advance when it stops asking a question, or the
facilitator can stop whenever the numbers look right. Each rule names one
question, one statistic of the panel's answers and a threshold; a question is
*settled* after a round when every rule it has is met (a question without
rules never settles). The rules can change until round 1 opens; then they are
fixed, and their SHA-256 (of the canonical JSON :func:`canonical_rules`) goes
into the audit trail, so anyone can check later that the rules applied are
the rules registered.

The statistics (computed by :mod:`elicit.analysis.stopping` through
:mod:`elicit.core.consensus`), on each expert's probability for binary kinds
and their median for quantities:

==========================  ===========================================================
``iqr``                     interquartile range at most ``threshold`` (probability
                            points as a fraction, 0.10 = 10 pp, or the question's unit)
``cv``                      coefficient of variation (sample standard deviation over
                            the absolute mean) at most ``threshold``
``share_within``            at least ``threshold`` percent of answers within ``band``
                            of the panel median (band as for ``iqr``)
``wilcoxon``                stability: the Wilcoxon signed-rank test of the answers of
                            experts who answered this round and the one before finds
                            no change, p-value at least ``threshold`` (e.g. 0.05)
``mean_change``             stability: mean absolute change of those experts' answers
                            from the round before at most ``threshold`` (as ``iqr``)
==========================  ===========================================================

References: Dajani, Sincoff and Talley (1979), "Stability and agreement criteria
for the termination of Delphi studies", *TFSC* 13(1); von der Gracht (2012),
"Consensus measurement in Delphi studies", *TFSC* 79(8).
"""
