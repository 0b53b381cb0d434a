"""sessions and staff security: server-side sessions that end on logout, leave and deactivation; password resets by e-mail; per-account login throttling; two-factor login

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-06 03:30:29.101038

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0013'
branch_labels = None
depends_on = None


KIND_BEFORE = "kind IN ('invitation', 'reminder')"
KIND_AFTER = "kind IN ('invitation', 'reminder', 'password_reset')"
RECIPIENT = (
    "(expert_id IS NOT NULL AND study_id IS NOT NULL AND user_id IS NULL) OR "
    "(expert_id IS NULL AND study_id IS NULL AND user_id IS NOT NULL)"
)


def upgrade():
    """Add server-side sessions, password resets, messages to staff, login throttles, TOTP."""
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))

    op.create_table('login_throttles',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttles'))
    )
    op.create_table('password_resets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_resets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_resets_token_hash'))
    )
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_resets_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_kind'), type_='check')
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.alter_column('study_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column('expert_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column('kind', existing_type=sa.VARCHAR(length=10), type_=sa.String(length=14), existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_outbox_messages_kind'), KIND_AFTER)
        batch_op.create_check_constraint(op.f('ck_outbox_messages_to_an_expert_or_a_user'), RECIPIENT)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_user_id_users'), 'users', ['user_id'], ['id'], ondelete='CASCADE')

    op.create_table('login_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('expert_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(user_id IS NULL) <> (expert_id IS NULL)', name=op.f('ck_login_sessions_one_user_or_expert')),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_login_sessions_expert_id_experts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_sessions_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)



def downgrade():
    """Remove server-side sessions, password resets, messages to staff, login throttles, TOTP."""
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_secret')
    op.drop_table('login_throttles')
    op.execute("DELETE FROM outbox_messages WHERE user_id IS NOT NULL")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_user_id_users'), type_='foreignkey')
        batch_op.drop_constraint(op.f('ck_outbox_messages_to_an_expert_or_a_user'), type_='check')
        batch_op.drop_constraint(op.f('ck_outbox_messages_kind'), type_='check')
        batch_op.alter_column('kind', existing_type=sa.String(length=14), type_=sa.VARCHAR(length=10), existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_outbox_messages_kind'), KIND_BEFORE)
        batch_op.alter_column('expert_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column('study_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('user_id')

    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_resets_user_id'))
    op.drop_table('password_resets')

    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_login_sessions_expert_id'))
        batch_op.drop_index(batch_op.f('ix_login_sessions_created_at'))

    op.drop_table('login_sessions')
