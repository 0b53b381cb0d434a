"""expert journey: drafts, revision history, hidden rationales, feedback settings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 21:32:22.150947

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    """Add drafts and revisions, the hidden-rationale flag and each study's feedback settings.

    Judgments recorded before this revision get their current values as their
    first kept revision, so every judgment has a history.
    """
    op.create_table('judgment_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_judgment_drafts_expert_id_experts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_judgment_drafts_question_id_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_judgment_drafts_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judgment_drafts')),
    sa.UniqueConstraint('expert_id', 'question_id', 'round_id', name=op.f('uq_judgment_drafts_expert_id_question_id_round_id'))
    )
    op.create_table('judgment_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('judgment_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('probability', sa.Double(), nullable=True),
    sa.Column('lower', sa.Double(), nullable=True),
    sa.Column('upper', sa.Double(), nullable=True),
    sa.Column('quantile_values', sa.JSON(), nullable=True),
    sa.Column('confidence', sa.Integer(), nullable=True),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('revision >= 1', name=op.f('ck_judgment_revisions_revision_positive')),
    sa.ForeignKeyConstraint(['judgment_id'], ['judgments.id'], name=op.f('fk_judgment_revisions_judgment_id_judgments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judgment_revisions')),
    sa.UniqueConstraint('judgment_id', 'revision', name=op.f('uq_judgment_revisions_judgment_id_revision'))
    )
    with op.batch_alter_table('judgments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rationale_hidden', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('studies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feedback_min_answers', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('hide_feedback_until_answered', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_studies_feedback_min_answers_positive'), 'feedback_min_answers >= 1'
        )

    op.execute(
        "INSERT INTO judgment_revisions (judgment_id, revision, probability, lower, upper, "
        "quantile_values, confidence, rationale, recorded_at) "
        "SELECT id, revision, probability, lower, upper, quantile_values, confidence, "
        "rationale, updated_at FROM judgments"
    )


def downgrade():
    """Drop what :func:`upgrade` added (drafts and revision history are lost)."""
    with op.batch_alter_table('studies', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_studies_feedback_min_answers_positive'), type_='check')
        batch_op.drop_column('hide_feedback_until_answered')
        batch_op.drop_column('feedback_min_answers')

    with op.batch_alter_table('judgments', schema=None) as batch_op:
        batch_op.drop_column('rationale_hidden')

    op.drop_table('judgment_revisions')
    op.drop_table('judgment_drafts')
