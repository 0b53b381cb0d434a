"""questions: the first round that asks each, and withdrawal (when and why)

Revision ID: 0006
Revises: 0008
Create Date: 2026-12-05 18:22:28.614687

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    """Add ``first_round`` (1 for every existing question) and ``withdrawn_at``/``withdrawn_reason``,
    set together or not at all."""
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_round', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_reason', sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_questions_first_round_positive'), 'first_round >= 1'
        )
        batch_op.create_check_constraint(
            op.f('ck_questions_withdrawn_with_reason'),
            '(withdrawn_at IS NULL) = (withdrawn_reason IS NULL)',
        )


def downgrade():
    """Drop the withdrawal and first-round columns (their check constraints first, for SQLite)."""
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_questions_withdrawn_with_reason'), type_='check')
        batch_op.drop_constraint(op.f('ck_questions_first_round_positive'), type_='check')
        batch_op.drop_column('withdrawn_reason')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('first_round')
