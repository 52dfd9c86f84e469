<%!
    def commands(rendered):
        """Alembic's commands without its `# ### ... ###` markers, as the revisions here read."""
        lines = [line for line in (rendered or "").splitlines() if not line.strip().startswith("# ###")]
        return "\n".join(lines).strip() or "pass"
%>"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date.strftime("%Y-%m-%d %H:%M:%S")}
"""

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade() -> None:
    ${commands(upgrades)}


def downgrade() -> None:
    ${commands(downgrades)}
