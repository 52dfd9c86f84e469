"""Which key signs and which are published, from the keys' timestamps alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain import signing_keys as rules
from app.domain.signing_keys import KeyTimes

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def key(
    kid: str,
    *,
    activates: timedelta,
    retires: timedelta | None = None,
    revoked: bool = False,
) -> KeyTimes:
    return KeyTimes(
        kid=kid,
        algorithm="EdDSA",
        created_at=NOW + activates - 15 * MINUTE,
        activates_at=NOW + activates,
        retires_at=None if retires is None else NOW + retires,
        revoked_at=NOW - MINUTE if revoked else None,
    )


def test_the_newest_activated_key_signs_and_a_next_key_does_not() -> None:
    old, current, upcoming = (
        key("old", activates=-60 * MINUTE),
        key("cur", activates=-MINUTE),
        key("next", activates=10 * MINUTE),
    )
    keys = [old, current, upcoming]

    assert rules.signer(keys, NOW) == current
    assert rules.signer(keys, NOW + 10 * MINUTE) == upcoming
    assert [rules.state_of(k, keys, NOW) for k in keys] == ["retiring", "active", "next"]


def test_published_keys_are_next_active_and_retiring_never_revoked_nor_retired() -> None:
    keys = [
        key("retired", activates=-90 * MINUTE, retires=-MINUTE),
        key("retiring", activates=-60 * MINUTE, retires=MINUTE),
        key("revoked", activates=-30 * MINUTE, revoked=True),
        key("active", activates=-MINUTE),
        key("next", activates=MINUTE),
    ]

    assert [k.kid for k in rules.published(keys, NOW)] == ["next", "active", "retiring"]


def test_a_revoked_key_never_signs() -> None:
    keys = [key("a", activates=-60 * MINUTE), key("b", activates=-MINUTE, revoked=True)]

    assert rules.signer(keys, NOW) == keys[0]


def test_the_first_key_signs_at_once_and_later_ones_after_the_delay() -> None:
    delay = timedelta(seconds=900)

    assert rules.activation_of_new_key([], NOW, delay) == NOW
    assert rules.activation_of_new_key([key("a", activates=-MINUTE)], NOW, delay) == NOW + delay


def test_a_replaced_key_retires_when_its_last_token_expires() -> None:
    assert rules.retirement_date(NOW, timedelta(seconds=900)) == NOW + timedelta(seconds=900)
    keys = [
        key("a", activates=-MINUTE),
        key("b", activates=-MINUTE, retires=MINUTE),
        key("c", activates=0 * MINUTE, revoked=True),
    ]
    assert rules.replaced_by_new_key(keys) == ["a"]


def test_revoking_the_only_signing_key_is_refused() -> None:
    only = key("only", activates=-MINUTE)
    with pytest.raises(rules.LastSigningKey):
        rules.check_revocable([only, key("next", activates=MINUTE)], "only", NOW)


def test_revoking_a_key_another_can_replace_is_allowed_and_an_unknown_one_is_not_found() -> None:
    keys = [key("a", activates=-60 * MINUTE), key("b", activates=-MINUTE)]

    assert rules.check_revocable(keys, "b", NOW) == keys[1]
    with pytest.raises(rules.UnknownSigningKey):
        rules.check_revocable(keys, "nope", NOW)


def test_a_scheduled_rotation_is_due_once_the_newest_trusted_key_is_the_period_old() -> None:
    every = timedelta(days=90)
    newest = key("new", activates=15 * MINUTE)  # created at NOW
    keys = [key("old", activates=-every, retires=MINUTE), newest]

    assert not rules.rotation_due(keys, NOW + every - MINUTE, every)
    assert rules.rotation_due(keys, NOW + every, every)


def test_a_scheduled_rotation_ignores_revoked_keys_and_never_makes_the_first_key() -> None:
    every = timedelta(days=90)
    keys = [key("old", activates=-every - MINUTE), key("fresh-but-revoked", activates=-MINUTE, revoked=True)]

    assert rules.rotation_due(keys, NOW, every)
    assert not rules.rotation_due([], NOW, every)
    assert not rules.rotation_due([key("gone", activates=-every - MINUTE, revoked=True)], NOW, every)


def test_a_key_made_to_sign_at_once_signs_for_a_clock_behind_its_creation() -> None:
    first = KeyTimes(
        kid="first", algorithm="EdDSA", created_at=NOW, activates_at=NOW, retires_at=None, revoked_at=None
    )
    waiting = key("waiting", activates=MINUTE)

    assert rules.signer([first], NOW - MINUTE) == first
    assert rules.signer([waiting], NOW) is None
    assert rules.signer([first, waiting], NOW - MINUTE) == first
