"""outbox: invitations and reminders queued in the transaction of the action, sent by one sender

Revision ID: 0004
Revises: 0006
Create Date: 2026-12-05 18:23:52.466712

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    """Add the outbox table the sender claims messages from (indexed by state and study)."""
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('invitation', 'reminder', name='kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.Enum('queued', 'sending', 'sent', 'failed', name='state', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('error', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbox_messages_attempts_not_negative')),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_outbox_messages_expert_id_experts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['study_id'], ['studies.id'], name=op.f('fk_outbox_messages_study_id_studies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_study_id'), ['study_id'], unique=False)


def downgrade():
    """Remove the outbox table and its indexes."""
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_study_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_state'))

    op.drop_table('outbox_messages')
