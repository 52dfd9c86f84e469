"""Bounds for operator options: past them a value is a usage error, not an overflow mid-command."""

from __future__ import annotations

import click

# A century of retention: well past any policy, and far from where date arithmetic overflows.
MAX_DAYS = 36_500
# Seeding is for demos and benchmarks; ten million users is already a long afternoon.
MAX_SEEDED_USERS = 10_000_000


def days(minimum: int) -> click.IntRange:
    return click.IntRange(min=minimum, max=MAX_DAYS)


SEED_COUNT = click.IntRange(min=1, max=MAX_SEEDED_USERS)
