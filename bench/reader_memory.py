"""Resident memory of the server's readers' vector indexes: shared (one per saved file) or one each.

Saves a flat index of ``--size`` random unit vectors, then opens it ``--readers`` times as
VectorIndex (shared, what the reader pool does) and, with ``--copies``, reads it that often with
FAISS directly (one copy per reader, as before). Prints the growth of this process's RSS.

    .venv/bin/python -m bench.reader_memory [--size 1000000] [--readers 8] [--copies]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from bench.memory import status_megabytes
from index.vector import VectorIndex

DIM = 384


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--copies", action="store_true", help="also read one copy per reader")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kb-readers-") as tmp:
        path = Path(tmp) / "vectors.faiss"
        writer = VectorIndex(DIM, path, ann_threshold=args.size)  # exact: the file holds the vectors once
        rng = np.random.default_rng(0)
        for start in range(0, args.size, 100_000):
            block = rng.normal(size=(min(100_000, args.size - start), DIM)).astype(np.float32)
            writer.add(np.arange(start, start + len(block)), block / np.linalg.norm(block, axis=1, keepdims=True))
        writer.save()
        del writer, block
        megabytes = path.stat().st_size / 2**20
        before = status_megabytes("VmRSS")
        readers = [VectorIndex(DIM, path) for _ in range(args.readers)]
        for reader in readers:
            reader.search(readers[0].vectors([7])[0], 10)
        shared = status_megabytes("VmRSS") - before
        print(f"vectors: {args.size:,}, file {megabytes:,.0f} MB, readers {args.readers}")
        print(f"shared (VectorIndex):       RSS +{shared:,.0f} MB")
        if args.copies:
            import faiss

            del readers
            before = status_megabytes("VmRSS")
            copies = [faiss.read_index(str(path)) for _ in range(args.readers)]
            grown = status_megabytes("VmRSS") - before
            print(f"one copy each (read_index): RSS +{grown:,.0f} MB ({len(copies)} copies)")


if __name__ == "__main__":
    main()
