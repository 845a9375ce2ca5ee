"""Peak resident memory of the benchmark process."""

from __future__ import annotations

import resource


def peak_megabytes() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
