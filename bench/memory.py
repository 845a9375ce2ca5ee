"""Resident memory: the benchmark's own peak, and any process's from /proc (Linux)."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_megabytes() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def status_megabytes(field: str, pid: int | str = "self") -> float:
    """A memory field of /proc/<pid>/status in MB (VmRSS now, VmHWM the peak); NaN where absent."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")
