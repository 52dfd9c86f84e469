"""The second factor, as SQL. Every use of a code is one conditional UPDATE whose row count says
whether this request won: a TOTP step, a recovery code and a login challenge each work once, however
many requests present them at the same moment."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth.models import MfaChallenge, RecoveryCode, TotpCredential
from app.persistence.write_errors import translated


class MfaRepository(Protocol):
    def get_totp(self, user_id: uuid.UUID, *, lock: bool = False) -> TotpCredential | None: ...
    def start_enrolment(self, user_id: uuid.UUID, *, secret_ciphertext: str, now: datetime) -> None: ...
    def confirm_enrolment(self, user_id: uuid.UUID, *, step: int, now: datetime) -> bool: ...
    def use_step(self, user_id: uuid.UUID, *, step: int) -> bool: ...
    def remove(self, user_id: uuid.UUID) -> bool: ...
    def replace_recovery_codes(self, user_id: uuid.UUID, hashes: Sequence[str], *, now: datetime) -> None: ...
    def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, *, now: datetime) -> bool: ...
    def count_recovery_codes(self, user_id: uuid.UUID) -> int: ...
    def add_challenge(self, challenge: MfaChallenge) -> None: ...
    def find_challenge(self, token_hash: str, *, now: datetime) -> MfaChallenge | None: ...
    def use_challenge(self, challenge_id: uuid.UUID, *, now: datetime) -> bool: ...
    def purge_challenges(self, *, expired_before: datetime) -> int: ...


def _rowcount(result: sa.Result[Any]) -> int:
    return int(result.rowcount)  # type: ignore[attr-defined]


class SqlMfaRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get_totp(self, user_id: uuid.UUID, *, lock: bool = False) -> TotpCredential | None:
        """The account's credential; with `lock`, held until commit, so two changes of one
        account's second factor (new recovery codes, turning it off) run one after the other."""
        statement = sa.select(TotpCredential).where(TotpCredential.user_id == user_id)
        if lock:
            statement = statement.with_for_update()
        return self._session.scalars(statement).one_or_none()

    def start_enrolment(self, user_id: uuid.UUID, *, secret_ciphertext: str, now: datetime) -> None:
        """A new pending secret, replacing an earlier pending one; a confirmed one is never touched."""
        credential = self.get_totp(user_id)
        if credential is None:
            self._session.add(
                TotpCredential(user_id=user_id, secret_ciphertext=secret_ciphertext, created_at=now)
            )
        elif credential.confirmed_at is None:
            credential.secret_ciphertext, credential.created_at = secret_ciphertext, now
            credential.last_used_step = None
        # Two first enrolments at once: the second insert breaks the primary key, a 409, never a 500.
        with translated(self._session, {}):
            self._session.flush()

    def confirm_enrolment(self, user_id: uuid.UUID, *, step: int, now: datetime) -> bool:
        """Turn the pending secret on, spending the step of the code that confirmed it."""
        statement = (
            sa.update(TotpCredential)
            .where(TotpCredential.user_id == user_id, TotpCredential.confirmed_at.is_(None))
            .values(confirmed_at=now, last_used_step=step)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(self._session.execute(statement)) == 1

    def use_step(self, user_id: uuid.UUID, *, step: int) -> bool:
        """Compare-and-set the last used step: true only for a step newer than every one used before."""
        statement = (
            sa.update(TotpCredential)
            .where(
                TotpCredential.user_id == user_id,
                TotpCredential.confirmed_at.is_not(None),
                sa.or_(TotpCredential.last_used_step.is_(None), TotpCredential.last_used_step < step),
            )
            .values(last_used_step=step)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(self._session.execute(statement)) == 1

    def remove(self, user_id: uuid.UUID) -> bool:
        """Forget the second factor: the secret (pending or on), the recovery codes, open challenges."""
        for model in (RecoveryCode, MfaChallenge):
            self._session.execute(
                sa.delete(model).where(model.user_id == user_id).execution_options(synchronize_session=False)
            )
        statement = (
            sa.delete(TotpCredential)
            .where(TotpCredential.user_id == user_id, TotpCredential.confirmed_at.is_not(None))
            .execution_options(synchronize_session=False)
        )
        removed = _rowcount(self._session.execute(statement)) == 1
        self._session.execute(
            sa.delete(TotpCredential)
            .where(TotpCredential.user_id == user_id)
            .execution_options(synchronize_session=False)
        )
        return removed

    def replace_recovery_codes(self, user_id: uuid.UUID, hashes: Sequence[str], *, now: datetime) -> None:
        self._session.execute(
            sa.delete(RecoveryCode)
            .where(RecoveryCode.user_id == user_id)
            .execution_options(synchronize_session=False)
        )
        self._session.add_all(
            RecoveryCode(user_id=user_id, code_hash=code_hash, created_at=now) for code_hash in hashes
        )
        self._session.flush()

    def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, *, now: datetime) -> bool:
        statement = (
            sa.update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user_id,
                RecoveryCode.code_hash == code_hash,
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(self._session.execute(statement)) == 1

    def count_recovery_codes(self, user_id: uuid.UUID) -> int:
        statement = (
            sa.select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        )
        return int(self._session.scalar(statement) or 0)

    def add_challenge(self, challenge: MfaChallenge) -> None:
        self._session.add(challenge)
        self._session.flush()

    def find_challenge(self, token_hash: str, *, now: datetime) -> MfaChallenge | None:
        """The challenge of this token if it is still usable; used, expired and unknown look alike."""
        statement = sa.select(MfaChallenge).where(
            MfaChallenge.token_hash == token_hash,
            MfaChallenge.used_at.is_(None),
            MfaChallenge.expires_at > now,
        )
        return self._session.scalars(statement).one_or_none()

    def use_challenge(self, challenge_id: uuid.UUID, *, now: datetime) -> bool:
        statement = (
            sa.update(MfaChallenge)
            .where(
                MfaChallenge.id == challenge_id,
                MfaChallenge.used_at.is_(None),
                MfaChallenge.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(self._session.execute(statement)) == 1

    def purge_challenges(self, *, expired_before: datetime) -> int:
        """Forget login challenges that lapsed before `expired_before`, used or not."""
        statement = (
            sa.delete(MfaChallenge)
            .where(MfaChallenge.expires_at < expired_before)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(self._session.execute(statement))
