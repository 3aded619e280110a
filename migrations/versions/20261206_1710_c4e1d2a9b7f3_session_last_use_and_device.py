"""sessions: when each was last used (coarse) and the browser and system family

Reviewed: no IP address; the device is a family name only ("Firefox/Android"), never a version.

Revision ID: c4e1d2a9b7f3
Revises: c3f1a9d2e7b4
Create Date: 2026-12-06 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e1d2a9b7f3'
down_revision = 'c3f1a9d2e7b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('device', sa.String(length=40), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_column('device')
        batch_op.drop_column('last_used_at')
