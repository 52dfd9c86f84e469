"""The stack floor: Keel's libraries as their documentation shows them, defaults untouched.

A flask-smorest Blueprint with a marshmallow schema, flask-jwt-extended's `jwt_required` with a
`user_lookup_loader` over Flask-SQLAlchemy's `db.session.get`, and flask-limiter on Redis with a
default limit: what a competent team gets from this stack without Keel. It verifies Keel's own
access tokens (the public key from the key set, Keel's algorithm, iss and aud), so the same token
drives both (bench/run.py).
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime
from typing import Any

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from flask import Flask
from flask.views import MethodView
from flask_jwt_extended import JWTManager, current_user, jwt_required
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Api, Blueprint
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, fields
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class User(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email: Mapped[str]
    name: Mapped[str]
    role: Mapped[str]
    is_active: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class UserSchema(Schema):
    id = fields.UUID()
    email = fields.Email()
    name = fields.String()
    role = fields.String()
    is_active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


def _public_key_pem(database_url: str) -> tuple[str, str]:
    """The active signing key's public half, as flask-jwt-extended's JWT_PUBLIC_KEY takes it."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        public_jwk = connection.execute(
            sa.text("SELECT public_jwk FROM signing_keys WHERE revoked_at IS NULL ORDER BY activates_at DESC")
        ).scalar_one()
    engine.dispose()
    key = jwt.PyJWK(json.loads(public_jwk))
    pem = key.key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return str(key.algorithm_name), pem.decode()


database_url = os.environ["DATABASE_URL"]
algorithm, public_pem = _public_key_pem(database_url)

app = Flask(__name__)
app.config.update(
    API_TITLE="stack floor",
    API_VERSION="v1",
    OPENAPI_VERSION="3.0.3",
    SQLALCHEMY_DATABASE_URI=database_url,
    JWT_ALGORITHM=algorithm,
    JWT_PUBLIC_KEY=public_pem,
    JWT_DECODE_ISSUER=os.environ["JWT_ISSUER"],
    JWT_DECODE_AUDIENCE=os.environ.get("JWT_AUDIENCE", "keel"),
)
db.init_app(app)
jwt_manager = JWTManager(app)
limiter = Limiter(
    get_remote_address,
    app=app,
    default_limits=[os.environ.get("RATELIMIT_DEFAULT", "1000000 per minute")],
    storage_uri=os.environ["REDIS_URL"],
)
api = Api(app)
blp = Blueprint("users", __name__, url_prefix="/users")


@jwt_manager.user_lookup_loader
def load_user(_header: dict[str, Any], data: dict[str, Any]) -> User | None:
    return db.session.get(User, uuid.UUID(data["sub"]))


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@blp.route("/me")
class Me(MethodView):
    @jwt_required()
    @blp.response(200, UserSchema)
    def get(self) -> User:
        return current_user  # type: ignore[no-any-return]


api.register_blueprint(blp)
