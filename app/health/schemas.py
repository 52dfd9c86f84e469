"""Probe bodies, as load balancers and orchestrators read them."""

import marshmallow as ma


class HealthSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"example": "ok"})


class ReadinessSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"example": "ok"})
    checks = ma.fields.Dict(
        required=True,
        keys=ma.fields.String(),
        values=ma.fields.String(),
        metadata={"example": {"database": "ok", "redis": "skipped"}},
    )
