"""learning records: a registration per enrolment, and the statements' delivery state

Reviewed: existing enrolments get a random registration each; existing statements count as
not yet sent (an LRS configured later receives the history; its ids make resending harmless).

Revision ID: c3e1a7d90b42
Revises: c4e1d2b3a9f0
Create Date: 2026-12-06 16:20:00

"""
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3e1a7d90b42'
down_revision = 'c4e1d2b3a9f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('send_attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_send_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.String(length=500), nullable=True))
        batch_op.create_index('ix_statements_outbox', ['exported_at', 'next_send_at'], unique=False)
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.alter_column('send_attempts', server_default=None)

    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration', sa.String(length=36), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        bind.exec_driver_sql('UPDATE enrolments SET registration = gen_random_uuid()::text')
    else:
        ids = bind.execute(sa.text('SELECT id FROM enrolments')).scalars().all()
        for enrolment_id in ids:
            bind.execute(
                sa.text('UPDATE enrolments SET registration = :r WHERE id = :id'),
                {'r': str(uuid.uuid4()), 'id': enrolment_id},
            )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.alter_column('registration', existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_enrolments_registration'), ['registration'])


def downgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_enrolments_registration'), type_='unique')
        batch_op.drop_column('registration')
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.drop_index('ix_statements_outbox')
        batch_op.drop_column('last_error')
        batch_op.drop_column('next_send_at')
        batch_op.drop_column('send_attempts')
