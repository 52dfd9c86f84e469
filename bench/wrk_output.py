"""What the benchmarks read from wrk's `--latency` report: requests/s, p50, p99, non-2xx answers."""

from __future__ import annotations

import re

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse(out: str) -> dict[str, float]:
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    if rps is None:
        raise ValueError(f"not a wrk report: {out[-500:]!r}")

    def percentile(label: str) -> float:
        found = re.search(rf"{label}\s+([0-9.]+)(us|ms|s)\b", out)
        return float(found.group(1)) * _UNIT_MS[found.group(2)] if found else 0.0

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(rps.group(1)),
        "p50_ms": percentile("50%"),
        "p99_ms": percentile("99%"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }
