"""stored addresses carry their domain in IDNA ASCII form, as the API now stores new ones

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 04:15:00

Addresses with a non-ASCII domain (`ann@äbc.example`) were stored as given; the API now stores
and compares the IDNA (UTS #46) ASCII form (`ann@xn--bc-uia.example`), so without this those
accounts could no longer log in with their address. Only rows with a non-ASCII character are
read. A row whose new form another account already has, or whose domain does not normalise, is
left as it was (and counted in the migration's output) for an operator to resolve.
"""

import logging

import idna
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_users = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("email", sa.String()),
    sa.column("email_normalized", sa.String()),
)


def _ascii_domain(email: str) -> str | None:
    local, at, domain = email.rpartition("@")
    if not at or domain.isascii():
        return None
    try:
        return f"{local}@{idna.encode(domain, uts46=True, std3_rules=True).decode('ascii')}"
    except (idna.IDNAError, UnicodeError):
        return None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        non_ascii = sa.func.octet_length(_users.c.email) != sa.func.char_length(_users.c.email)
    else:
        non_ascii = sa.func.length(sa.cast(_users.c.email, sa.LargeBinary)) != sa.func.length(_users.c.email)
    rows = connection.execute(sa.select(_users.c.id, _users.c.email).where(non_ascii)).all()
    left = 0
    for user_id, email in rows:
        converted = _ascii_domain(email)
        if converted is None:
            continue
        taken = connection.scalar(
            sa.select(sa.func.count())
            .select_from(_users)
            .where(_users.c.email_normalized == converted.lower(), _users.c.id != user_id)
        )
        if taken:
            left += 1
            continue
        connection.execute(
            sa.update(_users)
            .where(_users.c.id == user_id)
            .values(email=converted, email_normalized=converted.lower())
        )
    if left:
        logging.getLogger("alembic.runtime.migration").warning(
            "0009: %d address(es) left as they were: their IDNA form belongs to another account", left
        )


def downgrade() -> None:
    # The ASCII form is a valid spelling of the same address for the code before this revision too.
    pass
