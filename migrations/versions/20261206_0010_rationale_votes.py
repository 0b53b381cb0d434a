"""rationale votes: the votes an imported study records on each judgment's rationale

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 03:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    """Add the votes on a judgment's rationale (the repliCATS justifications' votes)."""
    with op.batch_alter_table('judgments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rationale_votes', sa.JSON(), nullable=True))


def downgrade():
    """Remove the votes on rationales."""
    with op.batch_alter_table('judgments', schema=None) as batch_op:
        batch_op.drop_column('rationale_votes')
