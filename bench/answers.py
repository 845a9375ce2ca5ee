"""Answer accuracy and abstention on the public question sets (bench/questions).

acc@1: the first quoted sentence contains one of the question's answer substrings; acc@3: one of
the quoted sentences does. Abstention: share of unanswerable questions answered with
``answered: false``, and of answerable ones still answered. Through ``KnowledgeBase.answer``,
5 passages as in the UI and API, against samples/ plus the LocalZero corpus.

    KB_DATA_DIR=/tmp/bench-data python -m bench.answers [--misses]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.question_sets import answerable, contains_answer, questions_kb, unanswerable
from kb.core.config import Config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="list the answerable questions missed at 1")
    args = parser.parse_args()
    kb = questions_kb(Config.from_env())
    kb.answer("Wie binden wir die Gemeinden ein?")  # loads the model
    first, any_, answered, seconds, missed = {}, {}, 0, [], []
    questions = answerable()
    for q in questions:
        start = time.perf_counter()
        answer = kb.answer(q["question"], limit=5)
        seconds.append(time.perf_counter() - start)
        texts = [s.text for s in answer.sentences]
        answered += answer.answered
        first.setdefault(q["corpus"], []).append(bool(texts) and contains_answer(q, texts[0]))
        any_.setdefault(q["corpus"], []).append(any(contains_answer(q, t) for t in texts))
        if not (texts and contains_answer(q, texts[0])):
            missed.append((q["id"], q["question"], texts[:1]))
    silent = sum(not kb.answer(q["question"], limit=5).answered for q in unanswerable())
    n, m = len(questions), len(unanswerable())
    print("| measure | value |\n|---|---|")
    for corpus in first:
        print(
            f"| {corpus}: acc@1 / acc@3 ({len(first[corpus])} questions) | {statistics.mean(first[corpus]):.3f} / "
            f"{statistics.mean(any_[corpus]):.3f} |"
        )
    every_first, every_any = sum(first.values(), []), sum(any_.values(), [])
    print(f"| answer acc@1 ({n} questions) | {statistics.mean(every_first):.3f} |")
    print(f"| answer acc@3 | {statistics.mean(every_any):.3f} |")
    print(f"| answerable still answered | {answered / n:.3f} |")
    print(f"| unanswerable left unanswered ({m} questions) | {silent / m:.3f} |")
    print(
        f"| answer latency p50 / max (ms, {n} calls) | {statistics.median(seconds) * 1000:.0f} / "
        f"{max(seconds) * 1000:.0f} |"
    )
    if args.misses:
        for item in missed:
            print(*item, sep="\n  ")
    kb.close()


if __name__ == "__main__":
    main()
