"""quizzes shuffle their choices by default; lesson translations know they are outdated

Revision ID: c4e1a7d2b9f3
Revises: 6b9132a7ebf7
Create Date: 2026-12-06 16:20:00

Existing quizzes get shuffled choices, as the course format now says; attempts already started
keep the order they were frozen with (it is stored in attempts.layout). A lesson translation
made from an older source text (translations.toml) is marked outdated at import.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e1a7d2b9f3'
down_revision = '6b9132a7ebf7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('has_shuffled_choices', sa.Boolean(), server_default=sa.true(), nullable=False)
        )

    with op.batch_alter_table('lesson_contents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_outdated', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('lesson_contents', schema=None) as batch_op:
        batch_op.drop_column('is_outdated')
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.drop_column('has_shuffled_choices')
