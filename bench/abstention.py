"""When to say nothing: the relevance floor against answerable and unanswerable questions.

A question is answered when its best hit's calibrated relevance clears the floor. For each set of
a candidate dump (``bench/candidates.py``) and each floor: the share of answerable questions
still answered and of unanswerable ones left unanswered; then the highest floor that keeps 95 %
of the answerable questions of the question sets answered (the floor of index/relevance.py).
Relevance comes from the model fitted on the fitting sets, as in index/relevance.py: in-sample
for them, unseen for real_public_de (never fitted on).

    python -m bench.abstention /tmp/candidates.pkl
"""

from __future__ import annotations

import numpy as np

from bench.calibration import dump_and_fit_sets, fit_sets
from index.fusion import KEYWORD_WEIGHT, fused_scores
from index.relevance import FLOOR, relevance

FLOORS = (0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.12, 0.15, 0.2, 0.3, 0.5)
QUESTION_SETS = ("questions", "germanquad_retrieval")  # real questions; LocalZero's are measure titles
ANSWERED = 0.95  # share of answerable questions that must keep their answer


def best_relevance(records: list[dict], coefficients: tuple[float, ...]) -> np.ndarray:
    best = []
    for r in records:
        fused = fused_scores(r["cos"], r["bm25"], r["idf_mass"], keyword_weight=KEYWORD_WEIGHT)
        best.append(relevance(fused, coefficients).max() if len(fused) else 0.0)
    return np.asarray(best)


def main() -> None:
    dump, data, fitting = dump_and_fit_sets(__doc__.split("\n\n")[0])
    print(f"floor in use: {FLOOR}\n")
    shares: dict[float, list[float]] = {floor: [] for floor in FLOORS}
    print("| set | questions | floor | answerable answered | unanswerable left unanswered |")
    print("|---|---|---|---|---|")
    beta = tuple(fit_sets(data, fitting))
    for name, records in dump.items():
        best = best_relevance(records, beta)
        known = np.asarray([r["answerable"] for r in records])
        for floor in FLOORS:
            if name in QUESTION_SETS and known.any():
                shares[floor].append(float((best[known] >= floor).mean()))
            answered = f"{(best[known] >= floor).mean():.3f}" if known.any() else "–"
            silent = f"{(best[~known] < floor).mean():.3f}" if (~known).any() else "–"
            print(f"| {name} | {known.sum()} + {(~known).sum()} | {floor} | {answered} | {silent} |")
    keeping = [floor for floor in FLOORS if shares[floor] and min(shares[floor]) >= ANSWERED]
    if keeping:
        print(
            f"\nhighest floor keeping {ANSWERED:.0%} of the answerable questions of {', '.join(QUESTION_SETS)} "
            f"answered: {max(keeping)}"
        )


if __name__ == "__main__":
    main()
