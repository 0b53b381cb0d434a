"""stopping rules: pre-registered per question, and the questions they settled

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 18:27:43.121128

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    """Add the stopping rules and the record of questions left out because they settled."""
    op.create_table('settled_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('round_number', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_settled_questions_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settled_questions')),
    sa.UniqueConstraint('question_id', name=op.f('uq_settled_questions_question_id'))
    )
    op.create_table('stopping_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('iqr', 'cv', 'share_within', 'wilcoxon', 'mean_change', name='kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('threshold', sa.Double(), nullable=False),
    sa.Column('band', sa.Double(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'share_within') = (band IS NOT NULL)", name=op.f('ck_stopping_rules_band_only_for_share')),
    sa.CheckConstraint('threshold >= 0', name=op.f('ck_stopping_rules_threshold_not_negative')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_stopping_rules_question_id_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['study_id'], ['studies.id'], name=op.f('fk_stopping_rules_study_id_studies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stopping_rules')),
    sa.UniqueConstraint('question_id', 'kind', name=op.f('uq_stopping_rules_question_id_kind'))
    )
    with op.batch_alter_table('stopping_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stopping_rules_question_id'), ['question_id'], unique=False)



def downgrade():
    """Remove the stopping rules and the settled questions."""
    with op.batch_alter_table('stopping_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stopping_rules_question_id'))

    op.drop_table('stopping_rules')
    op.drop_table('settled_questions')
