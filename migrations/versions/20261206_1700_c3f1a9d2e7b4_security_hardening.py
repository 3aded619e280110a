"""security hardening: username confusable skeletons, organisation join codes

Reviewed: the skeleton is derived from the username (no new personal data); existing accounts
get theirs here, so that a new look-alike of an old name is refused too.

Revision ID: c3f1a9d2e7b4
Revises: c3e1a7d90b42
Create Date: 2026-12-06 16:45:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f1a9d2e7b4'
down_revision = 'c3e1a7d90b42'
branch_labels = None
depends_on = None


def upgrade():
    from lms.accounts.confusables import skeleton

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username_skeleton', sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_username_skeleton'), ['username_skeleton'], unique=False)
    # Existing organisations get a code too (admins see and renew it), so learners can still join.
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('join_code', sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_organisations_join_code'), ['join_code'])
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('username', sa.String),
                     sa.column('username_skeleton', sa.String))
    connection = op.get_bind()
    organisations = sa.table('organisations', sa.column('id', sa.Integer), sa.column('join_code', sa.String))
    alphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # the cohort codes' alphabet: no 0/O or 1/I/L
    for (organisation_id,) in connection.execute(sa.select(organisations.c.id)).all():
        code = "".join(secrets.choice(alphabet) for _ in range(10))
        connection.execute(
            organisations.update().where(organisations.c.id == organisation_id).values(join_code=code)
        )
    for user_id, username in connection.execute(sa.select(users.c.id, users.c.username)).all():
        connection.execute(
            users.update().where(users.c.id == user_id).values(username_skeleton=skeleton(username))
        )


def downgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organisations_join_code'), type_='unique')
        batch_op.drop_column('join_code')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_username_skeleton'))
        batch_op.drop_column('username_skeleton')
