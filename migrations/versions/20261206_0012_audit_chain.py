"""audit chain: audit entries hashed into a chain, staff e-mails out of the log, judgment revisions append-only in the database

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-06 03:40:00.000000

"""
import hashlib
import json
from datetime import UTC

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None

GENESIS = "0" * 64

# The triggers of migration 0003, dropped while the entries are hashed and put back after.
AUDIT_SQLITE = [
    f"""CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"""
    for verb in ("UPDATE", "DELETE")
]
AUDIT_POSTGRESQL = [
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse()""",
    """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse()""",
]

# Judgment revisions are written once and never changed; the chain head only moves forward.
NEW_SQLITE = [
    *(
        f"""CREATE TRIGGER judgment_revisions_no_{verb.lower()} BEFORE {verb} ON judgment_revisions
        BEGIN SELECT RAISE(ABORT, 'judgment revisions are append-only'); END"""
        for verb in ("UPDATE", "DELETE")
    ),
    """CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head
    BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END""",
    """CREATE TRIGGER audit_chain_head_forward BEFORE UPDATE ON audit_chain_head
    WHEN NEW.seq < OLD.seq OR NEW.id <> OLD.id
    BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END""",
]
NEW_POSTGRESQL = [
    """CREATE FUNCTION judgment_revisions_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'judgment revisions are append-only'; END $$""",
    """CREATE TRIGGER judgment_revisions_append_only BEFORE UPDATE OR DELETE ON judgment_revisions
    FOR EACH ROW EXECUTE FUNCTION judgment_revisions_refuse()""",
    """CREATE TRIGGER judgment_revisions_no_truncate BEFORE TRUNCATE ON judgment_revisions
    FOR EACH STATEMENT EXECUTE FUNCTION judgment_revisions_refuse()""",
    """CREATE FUNCTION audit_chain_head_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the audit chain head only moves forward'; END $$""",
    """CREATE TRIGGER audit_chain_head_forward BEFORE UPDATE ON audit_chain_head
    FOR EACH ROW WHEN (NEW.seq < OLD.seq OR NEW.id <> OLD.id)
    EXECUTE FUNCTION audit_chain_head_refuse()""",
    """CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_chain_head_refuse()""",
    """CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_head_refuse()""",
]

EVENTS = sa.table(
    'audit_events',
    sa.column('id', sa.Integer),
    sa.column('at', sa.DateTime(timezone=True)),
    sa.column('actor_id', sa.Integer),
    sa.column('study_id', sa.Integer),
    sa.column('action', sa.String),
    sa.column('target', sa.String),
    sa.column('target_user_id', sa.Integer),
    sa.column('details', sa.JSON),
    sa.column('seq', sa.Integer),
    sa.column('prev_hash', sa.String),
    sa.column('hash', sa.String),
)


def _content_hash(row, seq, prev_hash):
    """Hash an entry as :func:`elicit.audit.canonical` does (a frozen copy of it)."""
    at = row.at.replace(tzinfo=UTC) if row.at.tzinfo is None else row.at.astimezone(UTC)
    content = {
        "seq": seq,
        "prev_hash": prev_hash,
        "at": at.isoformat(timespec="microseconds"),
        "actor_id": row.actor_id,
        "study_id": row.study_id,
        "action": row.action,
        "target": row.target,
        "target_user_id": row.target_user_id,
        "details": row.details,
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _drop_audit_triggers(dialect):
    if dialect == "sqlite":
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")
    else:
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")


def _chain_existing_entries(bind):
    """Refer to staff accounts by id instead of e-mail, then hash the entries into a chain."""
    bind.execute(sa.text(
        "UPDATE audit_events SET target_user_id = "
        "(SELECT users.id FROM users WHERE users.email = audit_events.target), target = '' "
        "WHERE target IN (SELECT email FROM users)"
    ))
    rows = bind.execute(sa.select(EVENTS).order_by(EVENTS.c.id)).all()
    prev_hash, updates = GENESIS, []
    for seq, row in enumerate(rows, start=1):
        digest = _content_hash(row, seq, prev_hash)
        updates.append({"row_id": row.id, "b_seq": seq, "b_prev": prev_hash, "b_hash": digest})
        prev_hash = digest
    if updates:
        bind.execute(
            EVENTS.update()
            .where(EVENTS.c.id == sa.bindparam("row_id"))
            .values(seq=sa.bindparam("b_seq"), prev_hash=sa.bindparam("b_prev"), hash=sa.bindparam("b_hash")),
            updates,
        )
    bind.execute(
        sa.text("INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, :seq, :hash)"),
        {"seq": len(rows), "hash": prev_hash},
    )


def upgrade():
    """Hash the audit entries into a chain with a head, take staff e-mails out of the entries,
    and make judgment revisions (and the head's history) unchangeable in the database."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    _drop_audit_triggers(dialect)
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_chain_head_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_target_user_id_users'), 'users', ['target_user_id'], ['id'])

    _chain_existing_entries(bind)

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_seq'), ['seq'])
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_prev_hash'), ['prev_hash'])
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_hash'), ['hash'])

    for statement in (AUDIT_SQLITE + NEW_SQLITE) if dialect == "sqlite" else (AUDIT_POSTGRESQL + NEW_POSTGRESQL):
        op.execute(statement)


def downgrade():
    """Remove what :func:`upgrade` added; staff e-mails go back into the entries' targets."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "sqlite":
        for name in ("judgment_revisions_no_update", "judgment_revisions_no_delete",
                     "audit_chain_head_no_delete", "audit_chain_head_forward"):
            op.execute(f"DROP TRIGGER {name}")
    else:
        op.execute("DROP TRIGGER judgment_revisions_append_only ON judgment_revisions")
        op.execute("DROP TRIGGER judgment_revisions_no_truncate ON judgment_revisions")
        op.execute("DROP FUNCTION judgment_revisions_refuse()")
        for name in ("audit_chain_head_forward", "audit_chain_head_no_delete", "audit_chain_head_no_truncate"):
            op.execute(f"DROP TRIGGER {name} ON audit_chain_head")
        op.execute("DROP FUNCTION audit_chain_head_refuse()")
    _drop_audit_triggers(dialect)
    bind.execute(sa.text(
        "UPDATE audit_events SET target = "
        "(SELECT users.email FROM users WHERE users.id = audit_events.target_user_id) "
        "WHERE target_user_id IS NOT NULL"
    ))
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_events_hash'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_audit_events_prev_hash'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_audit_events_seq'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_audit_events_target_user_id_users'), type_='foreignkey')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
        batch_op.drop_column('target_user_id')

    op.drop_table('audit_chain_head')
    for statement in AUDIT_SQLITE if dialect == "sqlite" else AUDIT_POSTGRESQL:
        op.execute(statement)
