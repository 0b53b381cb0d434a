"""studies: a version of the study's questions, renewed by triggers on every change

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# What a round asks depends on its study's questions, their resolutions and their settled
# rules (elicit.rounds.services.round_questions); any change to a row of these gives the
# study's version a new random value, whichever client makes it. Random, not counted: a
# database restored from a backup, or built again, never repeats a version a server
# process may have kept with other questions (0 is left to studies that never had any).
RANDOM = {
    "sqlite": "random()",
    "postgresql": "floor(random() * 9007199254740991)::bigint + 1",
}
BUMP = "UPDATE studies SET questions_version = {random} WHERE id IN ({studies})"
QUESTION_STUDY = "(SELECT study_id FROM questions WHERE id = {row}.question_id)"
STUDY_OF = {
    "questions": "{row}.study_id",
    "resolutions": QUESTION_STUDY,
    "settled_questions": QUESTION_STUDY,
}
VERBS = {"INSERT": ("NEW",), "UPDATE": ("NEW", "OLD"), "DELETE": ("OLD",)}


def _sqlite_triggers():
    for table, study in STUDY_OF.items():
        for verb, rows in VERBS.items():
            studies = ", ".join(study.format(row=row) for row in rows)
            yield (
                f"CREATE TRIGGER {table}_bump_{verb.lower()} AFTER {verb} ON {table} "
                f"BEGIN {BUMP.format(random=RANDOM['sqlite'], studies=studies)}; END"
            )


def _postgresql_statements():
    for table, study in STUDY_OF.items():
        studies = ", ".join(study.format(row=row) for row in ("NEW", "OLD"))
        yield f"""CREATE FUNCTION {table}_bump() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {BUMP.format(random=RANDOM['postgresql'], studies=studies)}; RETURN NULL; END $$"""
        yield f"""CREATE TRIGGER {table}_bump AFTER INSERT OR UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {table}_bump()"""


def upgrade():
    """Add ``studies.questions_version``, random for studies there are, and its triggers."""
    with op.batch_alter_table('studies', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('questions_version', sa.BigInteger(), server_default='0', nullable=False)
        )
    dialect = op.get_bind().dialect.name
    op.execute(f"UPDATE studies SET questions_version = {RANDOM[dialect]}")
    statements = _sqlite_triggers() if dialect == "sqlite" else _postgresql_statements()
    for statement in statements:
        op.execute(statement)


def downgrade():
    """Drop the triggers and the column."""
    if op.get_bind().dialect.name == "sqlite":
        for table in STUDY_OF:
            for verb in VERBS:
                op.execute(f"DROP TRIGGER {table}_bump_{verb.lower()}")
    else:
        for table in STUDY_OF:
            op.execute(f"DROP TRIGGER {table}_bump ON {table}")
            op.execute(f"DROP FUNCTION {table}_bump()")
    with op.batch_alter_table('studies', schema=None) as batch_op:
        batch_op.drop_column('questions_version')
