"""Broken constraints are named the same on PostgreSQL and SQLite, so repositories map them by name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.errors import Conflict
from app.extensions import db
from app.persistence.write_errors import (
    ConstraintErrors,
    ConstraintViolation,
    translated,
    violated_constraint,
)
from app.users.errors import EmailTaken
from app.users.models import User
from tests.integration.users.factories import new_user


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session()


def broken_write(session: Session, user: User) -> IntegrityError:
    session.add(user)
    with pytest.raises(IntegrityError) as caught:
        session.flush()
    session.rollback()
    return caught.value


def flush_translated(session: Session, user: User, known: ConstraintErrors) -> None:
    with translated(session, known):
        session.add(user)
        session.flush()


def test_a_duplicate_email_names_the_unique_constraint(session: Session) -> None:
    first = new_user()
    session.add(first)
    session.commit()
    error = broken_write(session, new_user(email=first.email))
    assert violated_constraint(error) == "uq_users_email_normalized"


def test_an_unknown_role_names_the_check_constraint(session: Session) -> None:
    error = broken_write(session, new_user(role="owner"))
    assert violated_constraint(error) == "ck_users_role"


def test_translated_raises_the_error_the_repository_declares(session: Session) -> None:
    first = new_user()
    session.add(first)
    session.commit()
    with pytest.raises(EmailTaken):
        flush_translated(session, new_user(email=first.email), {"uq_users_email_normalized": EmailTaken})


def test_an_undeclared_constraint_is_a_generic_conflict_naming_it(session: Session) -> None:
    with pytest.raises(ConstraintViolation) as caught:
        flush_translated(session, new_user(role="owner"), {})
    assert isinstance(caught.value, Conflict)
    assert caught.value.constraint == "ck_users_role"


def test_a_failed_write_leaves_the_session_usable(session: Session) -> None:
    with pytest.raises(ConstraintViolation):
        flush_translated(session, new_user(role="owner"), {})
    kept = new_user()
    session.add(kept)
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).where(User.id == kept.id)) == 1
