"""Page-level search scores on real documents through a running `kb serve` (standard library only).

The questions (``bench/real_docs_questions.jsonl``) hold only the question, the document's file
name and the pages that answer it, never document text; the documents themselves are third-party
and fetched outside the repository (see the issue #15 report for repositories and commits). A hit
is right when it comes from the document and its page range reaches within one page of an
answering page (any passage of a Markdown page).

    python bench/real_docs_pages.py --server http://127.0.0.1:5077 [--modes keyword,dense,hybrid]
"""

from __future__ import annotations

import argparse
import json
import urllib.parse
import urllib.request
from pathlib import Path

QUESTIONS = Path(__file__).resolve().parent / "real_docs_questions.jsonl"


def right(question: dict, hit: dict) -> bool:
    if hit.get("file_name") != question["document"]:
        return False
    if question["pages"] is None:
        return True
    start = hit.get("page")
    end = hit.get("page_end") or start
    return start is not None and any(start - 1 <= page <= end + 1 for page in question["pages"])


def search(server: str, query: str, mode: str) -> list[dict]:
    url = f"{server.rstrip('/')}/api/v1/search?{urllib.parse.urlencode({'q': query, 'mode': mode, 'limit': 10})}"
    with urllib.request.urlopen(url, timeout=300) as response:
        return json.load(response).get("hits", [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--modes", default="keyword,dense,hybrid")
    args = parser.parse_args()
    questions = [json.loads(line) for line in QUESTIONS.read_text("utf-8").splitlines() if line.strip()]
    print(f"{len(questions)} questions\n\n| mode | MRR@10 | R@1 | R@10 | missed |\n|---|---|---|---|---|")
    for mode in args.modes.split(","):
        ranks = []
        for question in questions:
            hits = search(args.server, question["question"], mode)
            ranks.append(next((rank for rank, hit in enumerate(hits, 1) if right(question, hit)), None))
        n = len(ranks)
        missed = ", ".join(q["id"] for q, rank in zip(questions, ranks, strict=True) if rank is None) or "–"
        print(
            f"| {mode} | {sum(1 / r for r in ranks if r) / n:.3f} | {sum(r == 1 for r in ranks) / n:.3f} "
            f"| {sum(r is not None for r in ranks) / n:.3f} | {missed} |"
        )


if __name__ == "__main__":
    main()
