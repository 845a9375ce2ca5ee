"""Fit and check the calibrated relevance (index/relevance.py) on a candidate dump.

For each set, the ten best candidates of every query (by the fused score, as a result page shows
them) are labelled relevant or not. A logistic model is fitted on all other sets (each set
weighted equally) and scored on the held-out one: reliability table and expected calibration
error (ECE, 10 equal-width bins) over the held-out predictions. Last, the fit on all fitting
sets, printed as the constants of index/relevance.py.

    python -m bench.calibration /tmp/candidates.pkl [--fit localzero_measures_de,questions]
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np

from index.fusion import KEYWORD_WEIGHT, fused_scores

TOP = 10
BINS = 10


def rows(records: list[dict], keyword_weight: float = KEYWORD_WEIGHT) -> tuple[np.ndarray, np.ndarray]:
    """(features: 1 and the fused score, labels) of each query's ``TOP`` best candidates."""
    xs, ys = [], []
    for r in records:
        if not len(r["ids"]):
            continue
        fused = fused_scores(r["cos"], r["bm25"], r["idf_mass"], keyword_weight=keyword_weight)
        top = np.argsort(-fused, kind="stable")[:TOP]
        xs.append(np.column_stack([np.ones(len(top)), fused[top]]))
        ys.append((r["gain"][top] > 0).astype(float))
    return np.vstack(xs), np.concatenate(ys)


def fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray, l2: float = 1e-3, steps: int = 50) -> np.ndarray:
    """Weighted logistic regression by Newton's method (IRLS) with a small ridge penalty."""
    beta = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ beta)))
        gradient = x.T @ (weight * (p - y)) + l2 * beta
        hessian = (x * (weight * p * (1 - p))[:, None]).T @ x + l2 * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-9:
            break
    return beta


def fit_sets(data: dict[str, tuple], names: list[str]) -> np.ndarray:
    x = np.vstack([data[n][0] for n in names])
    y = np.concatenate([data[n][1] for n in names])
    w = np.concatenate([np.full(len(data[n][1]), 1 / len(data[n][1])) for n in names])
    return fit(x, y, w / w.mean())


def reliability(p: np.ndarray, y: np.ndarray) -> tuple[list[tuple[str, int, float, float]], float]:
    """Rows (bin, count, mean predicted, observed share) and the ECE."""
    table, ece = [], 0.0
    edges = np.linspace(0, 1, BINS + 1)
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (p >= low) & ((p < high) | (high == 1.0))
        if inside.any():
            table.append((f"{low:.1f}–{high:.1f}", int(inside.sum()), float(p[inside].mean()), float(y[inside].mean())))
            ece += inside.sum() / len(p) * abs(p[inside].mean() - y[inside].mean())
    return table, float(ece)


def dump_and_fit_sets(description: str) -> tuple[dict[str, list[dict]], dict[str, tuple], list[str]]:
    """The command line of the calibration benches: a candidate dump and the sets to fit on.

    Returns the dump's records, their (features, labels) rows per set, and the sets to fit.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("dump", type=Path)
    parser.add_argument("--fit", default="localzero_measures_de,questions")
    args = parser.parse_args()
    dump: dict[str, list[dict]] = pickle.loads(args.dump.read_bytes())
    data = {name: rows(records) for name, records in dump.items()}
    return dump, data, [n for n in args.fit.split(",") if n in data]


def main() -> None:
    dump, data, fitting = dump_and_fit_sets(__doc__.split("\n\n")[0])
    held_p, held_y = [], []
    print("| held out | hits | ECE | log loss |")
    print("|---|---|---|---|")
    for name in data:
        beta = fit_sets(data, [n for n in fitting if n != name])
        x, y = data[name]
        p = 1 / (1 + np.exp(-(x @ beta)))
        held_p.append(p)
        held_y.append(y)
        loss = -np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))
        print(f"| {name} | {len(y)} | {reliability(p, y)[1]:.3f} | {loss:.3f} |")
    table, ece = reliability(np.concatenate(held_p), np.concatenate(held_y))
    print(f"\nreliability, all held-out predictions pooled (ECE {ece:.3f}):\n")
    print("| relevance | hits | mean predicted | share relevant |")
    print("|---|---|---|---|")
    for label, count, predicted, observed in table:
        print(f"| {label} | {count} | {predicted:.3f} | {observed:.3f} |")
    beta = fit_sets(data, fitting)
    print(f"\nfit on {', '.join(fitting)}:\nCOEFFICIENTS = ({', '.join(f'{b:.4f}' for b in beta)})")


if __name__ == "__main__":
    main()
