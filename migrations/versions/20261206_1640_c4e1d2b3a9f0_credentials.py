"""credentials: Open Badges 3.0 credentials of certificates (id = status list position)

Reviewed: no name or signed document is stored; an erased certificate leaves its credential
row without a certificate so that its status bit stays set.

Revision ID: c4e1d2b3a9f0
Revises: eeee501ccb86
Create Date: 2026-12-06 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e1d2b3a9f0'
down_revision = 'eeee501ccb86'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('subject_uuid', sa.String(length=36), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=True),
    sa.Column('has_name', sa.Boolean(), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoke_reason', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_credentials_certificate_id_certificates'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credentials')),
    sa.UniqueConstraint('uuid', name=op.f('uq_credentials_uuid'))
    )
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credentials_certificate_id'), ['certificate_id'], unique=False)


def downgrade():
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credentials_certificate_id'))

    op.drop_table('credentials')
