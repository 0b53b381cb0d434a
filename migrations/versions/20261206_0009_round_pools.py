"""round pools: each round's pooled forecasts, stored once per change of the round; analysts may see live pools

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-06 00:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    """Add the store of each round's pooled forecasts, and the study option of live pools."""
    with op.batch_alter_table('studies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('analysts_see_live_pools', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table('round_pools',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('change_key', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_pools_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_pools')),
    sa.UniqueConstraint('round_id', name=op.f('uq_round_pools_round_id'))
    )


def downgrade():
    """Remove the store of pooled forecasts and the study option of live pools."""
    op.drop_table('round_pools')
    with op.batch_alter_table('studies', schema=None) as batch_op:
        batch_op.drop_column('analysts_see_live_pools')
