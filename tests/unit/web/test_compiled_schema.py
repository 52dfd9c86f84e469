"""A compiled dump is marshmallow's dump, value for value: each case is dumped by a
CompiledDumpSchema and by a plain marshmallow twin declaring the same fields."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import marshmallow as ma
import pytest

from app.users.models import User
from app.users.schemas import UserSchema
from app.web.compiled_schema import CompiledDumpSchema


class Label(str):
    """A str subclass: marshmallow's String keeps it; the compiled path must hand it to the field."""


class Moment(datetime):
    def isoformat(self, *_args: Any, **_kwargs: Any) -> str:
        return "a moment"


def fields() -> dict[str, ma.fields.Field[Any]]:
    return {
        "id": ma.fields.UUID(),
        "name": ma.fields.String(),
        "flag": ma.fields.Boolean(),
        "at": ma.fields.AwareDateTime(),
        "plain_at": ma.fields.DateTime(),
        "stamp": ma.fields.DateTime(format="timestamp"),
        "renamed": ma.fields.String(data_key="shown_as", attribute="hidden"),
        "dotted": ma.fields.String(attribute="inner.value"),
        "fallback": ma.fields.String(dump_default="none given"),
        "email": ma.fields.Email(),
        "count": ma.fields.Integer(),
        "computed": ma.fields.Method("compute"),
        "secret": ma.fields.String(load_only=True),
    }


def compute(_self: Any, obj: Any) -> str:
    return f"computed from {getattr(obj, 'name', None)}"


Compiled = type("Compiled", (CompiledDumpSchema,), {**fields(), "compute": compute})
Plain = type("Plain", (ma.Schema,), {**fields(), "compute": compute})

NOW = datetime(2026, 12, 7, 14, 0, 0, 123456, tzinfo=UTC)
CASES = [
    SimpleNamespace(
        id=uuid.UUID(int=7),
        name="Ada",
        flag=True,
        at=NOW,
        plain_at=NOW.replace(tzinfo=None),
        stamp=NOW,
        hidden="kept",
        inner=SimpleNamespace(value="deep"),
        fallback="given",
        email="ada@example.com",
        count=3,
        secret="never dumped",
    ),
    SimpleNamespace(
        id=None,
        name=None,
        flag=None,
        at=None,
        plain_at=None,
        stamp=None,
        hidden=None,
        inner=SimpleNamespace(value=None),
        fallback=None,
    ),
    SimpleNamespace(
        id="not-a-uuid-object",
        name=Label("labelled"),
        flag=1,
        at=NOW.astimezone(timezone(timedelta(hours=-5, minutes=-30))),
        plain_at=Moment(2026, 1, 1),
        stamp=NOW,
        hidden=42,
        inner=SimpleNamespace(value="x"),
        count="7",
    ),
    SimpleNamespace(),  # every attribute missing
]


@pytest.mark.parametrize("case", CASES, ids=["typical", "nulls", "odd types", "missing"])
def test_one_object_dumps_as_marshmallow_dumps_it(case: Any) -> None:
    assert Compiled().dump(case) == Plain().dump(case)


def test_many_objects_and_mappings_dump_as_marshmallow_dumps_them() -> None:
    assert Compiled(many=True).dump(CASES) == Plain(many=True).dump(CASES)
    mapping = {"id": uuid.UUID(int=1), "name": "from a dict", "hidden": "h"}
    assert Compiled().dump(mapping) == Plain().dump(mapping)


def test_only_exclude_and_hooks_apply() -> None:
    class Hooked(Compiled):  # type: ignore[misc, valid-type]
        @ma.post_dump
        def mark(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
            return {**data, "hooked": True}

    dumped = Hooked(only=("id", "name")).dump(CASES[0])
    assert dumped == {"id": str(uuid.UUID(int=7)), "name": "Ada", "hooked": True}
    assert "name" not in Compiled(exclude=("name",)).dump(CASES[0])


def test_a_schema_with_its_own_accessor_keeps_it() -> None:
    class Shouting(Compiled):  # type: ignore[misc, valid-type]
        def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
            value = super().get_attribute(obj, attr, default)
            return value.upper() if isinstance(value, str) else value

    assert Shouting(only=("name",)).dump(CASES[0]) == {"name": "ADA"}


def test_the_user_schema_dumps_a_user_as_marshmallow_does() -> None:
    plain_user_schema = type("PlainUser", (ma.Schema,), dict(UserSchema._declared_fields))
    user = User(
        id=uuid.uuid4(),
        email="someone@example.com",
        name="Some One",
        role="admin",
        is_active=False,
        email_verified=True,
        password_hash="not dumped",
        created_at=NOW,
        updated_at=NOW + timedelta(seconds=1),
    )
    dumped = UserSchema().dump(user)
    assert dumped == plain_user_schema().dump(user)
    assert set(dumped) == {
        "id",
        "email",
        "name",
        "role",
        "is_active",
        "email_verified",
        "created_at",
        "updated_at",
    }
    assert UserSchema(many=True).dump([user, user]) == plain_user_schema(many=True).dump([user, user])
