"""Extension instances, created unbound; the factory binds them to an app."""

import logging

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from app.auth.jwt_manager import SingleDecodeJWTManager
from app.persistence.base import Base

log = logging.getLogger("keel.database")


class KeelSQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy whose end-of-request session teardown never fails the request.

    The teardown runs after the answer is made; its rollback on a connection the server has closed
    (a restart, a failover) raises. SQLAlchemy has by then invalidated that connection, so the
    pool opens a new one; what is left is to log it and drop the session, not to turn the answer
    into a 500.
    """

    def _teardown_session(self, exc: BaseException | None) -> None:
        try:
            super()._teardown_session(exc)
        except Exception as error:
            log.warning(
                "database session teardown failed; its connection is discarded: %s", type(error).__name__
            )
            self._discard_session()

    def _discard_session(self) -> None:
        try:
            if self.session.registry.has():
                self.session.registry().invalidate()
        except Exception as error:  # the connection is already gone; nothing more to give back
            log.debug("session invalidation after a failed teardown: %s", type(error).__name__)
        finally:
            self.session.registry.clear()


db = KeelSQLAlchemy(metadata=Base.metadata, session_options={"expire_on_commit": False})
migrate = Migrate(compare_type=True, render_as_batch=True)
jwt = SingleDecodeJWTManager()
# The flask-smorest Api holds one app's spec and config, so the factory makes one per app.
