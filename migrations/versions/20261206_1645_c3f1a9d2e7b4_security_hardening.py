"""security hardening: username confusable skeletons, organisation join codes

Reviewed: the skeleton is derived from the username (no new personal data); existing accounts
get theirs here, so that a new look-alike of an old name is refused too.

Revision ID: c3f1a9d2e7b4
Revises: 6b9132a7ebf7
Create Date: 2026-12-06 16:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f1a9d2e7b4'
down_revision = '6b9132a7ebf7'
branch_labels = None
depends_on = None


def upgrade():
    from lms.accounts.confusables import skeleton

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username_skeleton', sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_username_skeleton'), ['username_skeleton'], unique=False)
    # Existing organisations get no code: nobody joins them until an admin gives them one.
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('join_code', sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_organisations_join_code'), ['join_code'])
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('username', sa.String),
                     sa.column('username_skeleton', sa.String))
    connection = op.get_bind()
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
