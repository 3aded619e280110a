"""report facts: the dashboard's per-enrolment figures, rebuilt by a periodic job

Reviewed: gender is copied only where the learner shares it, and erasing an account deletes
its rows (as it deletes the demographics they come from).

Revision ID: 7a3f9c1e5b20
Revises: 8d948385815a
Create Date: 2026-12-06 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3f9c1e5b20'
down_revision = '8d948385815a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_facts',
    sa.Column('enrolment_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_started', sa.Boolean(), nullable=False),
    sa.Column('gender', sa.String(length=16), nullable=True),
    sa.Column('score_sum', sa.Float(), nullable=True),
    sa.Column('score_count', sa.Integer(), nullable=True),
    sa.Column('pre', sa.Float(), nullable=True),
    sa.Column('post', sa.Float(), nullable=True),
    sa.Column('gain', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('enrolment_id')
    )
    with op.batch_alter_table('report_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_facts_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_facts_user_id'), ['user_id'], unique=False)

    op.create_table('report_refreshes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('took_ms', sa.Integer(), nullable=False),
    sa.Column('programme_groups', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade():
    op.drop_table('report_refreshes')
    with op.batch_alter_table('report_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_facts_user_id'))
        batch_op.drop_index(batch_op.f('ix_report_facts_course_id'))

    op.drop_table('report_facts')
