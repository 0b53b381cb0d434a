"""calibration questions may get their realization later

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-05 19:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    """Let a calibration question exist before its realization is known."""
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_questions_calibration_realized'), type_='check')


def downgrade():
    """Require the realization of every calibration question again."""
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_check_constraint(
            'calibration_realized', 'NOT calibration OR realization IS NOT NULL'
        )
