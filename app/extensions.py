"""Extension instances, created unbound; the factory binds them to an app."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from app.auth.jwt_manager import SingleDecodeJWTManager
from app.persistence.base import Base

db = SQLAlchemy(metadata=Base.metadata, session_options={"expire_on_commit": False})
migrate = Migrate(compare_type=True, render_as_batch=True)
jwt = SingleDecodeJWTManager()
# The flask-smorest Api holds one app's spec and config, so the factory makes one per app.
