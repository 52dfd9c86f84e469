"""A delete that loses a race to another write is a 412, like a stale update, never a 500."""

import pytest
import sqlalchemy as sa
from flask import Flask

from app.composition import container
from app.domain.errors import PreconditionFailed
from app.domain.principal import Principal
from app.extensions import db
from app.users.models import User
from tests.support.accounts import create_account


def test_delete_after_a_concurrent_update_is_a_precondition_failure(committed_app: Flask) -> None:
    admin = create_account(committed_app, role="admin")
    target = create_account(committed_app)
    with committed_app.app_context():
        service = container().user_service()
        actor = Principal(user_id=admin.id, role="admin", session_id=admin.id)
        loaded = service.get(actor, target.id)  # held at version 1, as the delete's own read would be
        with db.engine.begin() as other:  # another request commits a change meanwhile
            other.execute(sa.update(User).where(User.id == target.id).values(version=User.version + 1))
        with pytest.raises(PreconditionFailed):
            service.delete(actor, target.id)
        del loaded
    with committed_app.app_context():
        assert db.session.get(User, target.id) is not None
