"""feedback labels: a fresh letter per question by default; a study may keep one per round

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-06 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    """Add the study option of keeping an expert's feedback letter for a whole round."""
    with op.batch_alter_table('studies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feedback_labels_per_round', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    """Remove the study option of feedback letters per round."""
    with op.batch_alter_table('studies', schema=None) as batch_op:
        batch_op.drop_column('feedback_labels_per_round')
