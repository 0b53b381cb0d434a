"""facilitator console: sharing, anonymity, deadlines, panel groups, an append-only audit log

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 18:10:23.442762

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


# The audit log refuses UPDATE and DELETE in the database itself, whatever the client.
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"""
    for verb in ("UPDATE", "DELETE")
]
POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION audit_events_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse()""",
    """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse()""",
]


def upgrade():
    """Add study sharing, the anonymity model, time zones, archiving, per-expert extensions,
    panel groups and the previous-answers option, and make the audit log append-only."""
    op.create_table('study_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('co_facilitator', 'analyst', name='study_role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['study_id'], ['studies.id'], name=op.f('fk_study_members_study_id_studies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_study_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_members')),
    sa.UniqueConstraint('study_id', 'user_id', name=op.f('uq_study_members_study_id_user_id'))
    )
    with op.batch_alter_table('study_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_members_user_id'), ['user_id'], unique=False)

    op.create_table('round_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_round_extensions_expert_id_experts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_extensions_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_extensions')),
    sa.UniqueConstraint('round_id', 'expert_id', name=op.f('uq_round_extensions_round_id_expert_id'))
    )
    with op.batch_alter_table('experts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('panel_group', sa.String(length=120), server_default='', nullable=False))

    with op.batch_alter_table('studies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymity', sa.Enum('quasi_anonymous', 'anonymous_to_staff', name='anonymity', native_enum=False, create_constraint=True), server_default='quasi_anonymous', nullable=False))
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), server_default='UTC', nullable=False))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('prefill_previous_answers', sa.Boolean(), server_default=sa.false(), nullable=False))

    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRESQL_TRIGGERS:
        op.execute(statement)


def downgrade():
    """Remove what :func:`upgrade` added (the audit log's triggers first)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")
    else:
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
        op.execute("DROP FUNCTION audit_events_refuse()")
    with op.batch_alter_table('studies', schema=None) as batch_op:
        batch_op.drop_column('prefill_previous_answers')
        batch_op.drop_constraint(op.f('ck_studies_anonymity'), type_='check')
        batch_op.drop_column('archived_at')
        batch_op.drop_column('time_zone')
        batch_op.drop_column('anonymity')

    with op.batch_alter_table('experts', schema=None) as batch_op:
        batch_op.drop_column('panel_group')

    op.drop_table('round_extensions')
    with op.batch_alter_table('study_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_members_user_id'))

    op.drop_table('study_members')
