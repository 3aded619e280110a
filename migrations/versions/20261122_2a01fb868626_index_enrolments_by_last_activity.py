"""index enrolments by last activity

Revision ID: 2a01fb868626
Revises: 82a7d67b3687
Create Date: 2026-11-22 06:55:29.049857

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2a01fb868626'
down_revision = '82a7d67b3687'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolments_last_activity_at'), ['last_activity_at'], unique=False)


def downgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolments_last_activity_at'))
