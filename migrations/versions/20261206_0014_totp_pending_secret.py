"""users: the two-factor secret being set up is kept on the server, not in the cookie

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-06 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    """Add the columns of a two-factor secret shown but not yet confirmed, and whose browser."""
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_pending_secret', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('totp_pending_key', sa.String(length=64), nullable=True))


def downgrade():
    """Remove the columns of a two-factor secret not yet confirmed."""
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_pending_key')
        batch_op.drop_column('totp_pending_secret')
