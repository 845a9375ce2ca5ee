"""Calibrated relevance: the probability that a hit is relevant, comparable across queries.

Platt scaling (Platt 1999) of the hit's fused score (raw cosine plus capped, idf-scaled BM25,
``index/fusion.py``). The fused score keeps its absolute size – nothing is normalised within the
list – so a question the documents do not answer gets low relevance on every hit instead of a
best hit at 1.0. Features relative to the query's own list (the gap to its background, the best
hit's keyword coverage) were measured too and carried worse to unseen sets (README).

The coefficients are fitted by ``python -m bench.calibration`` on candidate dumps of the
evaluation sets (leave-one-set-out checked); rerun it after a model change and paste its output.
"""

from __future__ import annotations

import numpy as np

# python -m bench.calibration DUMP (fit on localzero_measures_de and our questions, each set
# weighing the same; GermanQuAD calibrates worse held out, README), refit for the Tantivy keyword
# engine: intercept, fused score.
COEFFICIENTS = (-49.4043, 54.8250)
# Relevance floor: nothing below it is quoted or counted as a match. bench/abstention.py:
# the highest floor keeping 95 % of the answerable questions of the question sets answered.
FLOOR = 0.06


def relevance(fused: np.ndarray, coefficients: tuple[float, float] = COEFFICIENTS) -> np.ndarray:
    """P(relevant) per hit from its fused score."""
    intercept, slope = coefficients
    return 1.0 / (1.0 + np.exp(-(intercept + slope * np.asarray(fused, dtype=np.float64))))
