"""live sessions: sessions, facilitators, registrations, attendance, requirements, preferences

Reviewed: new tables only. The cohort tables stay as they are (their models moved from
lms.reports to lms.cohorts); the online link and the feed token (hashed) are the only secrets.

Revision ID: 78ea032f319d
Revises: 7a3f9c1e5b20
Create Date: 2026-12-06 16:48:16.224650

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '78ea032f319d'
down_revision = '7a3f9c1e5b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('live_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=True),
    sa.Column('wants_reminders', sa.Boolean(), nullable=False),
    sa.Column('reminders_while_discreet', sa.Boolean(), nullable=False),
    sa.Column('feed_token_hash', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_live_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_preferences')),
    sa.UniqueConstraint('feed_token_hash', name=op.f('uq_live_preferences_feed_token_hash')),
    sa.UniqueConstraint('user_id', name=op.f('uq_live_preferences_user_id'))
    )
    op.create_table('live_requirements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('min_sessions', sa.Integer(), nullable=True),
    sa.Column('min_minutes', sa.Integer(), nullable=True),
    sa.CheckConstraint('min_sessions IS NOT NULL OR min_minutes IS NOT NULL', name=op.f('ck_live_requirements_something')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_live_requirements_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_live_requirements_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_requirements')),
    sa.UniqueConstraint('cohort_id', 'course_id', name=op.f('uq_live_requirements_cohort_id_course_id'))
    )
    with op.batch_alter_table('live_requirements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_requirements_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_live_requirements_course_id'), ['course_id'], unique=False)

    op.create_table('live_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('module_slug', sa.String(length=64), nullable=True),
    sa.Column('titles', sa.JSON(), nullable=False),
    sa.Column('descriptions', sa.JSON(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('venue', sa.String(length=300), nullable=False),
    sa.Column('online_url', sa.String(length=500), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('allows_self_marking', sa.Boolean(), nullable=False),
    sa.Column('code_secret', sa.String(length=64), nullable=False),
    sa.Column('seat_version', sa.Integer(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity IS NULL OR capacity > 0', name=op.f('ck_live_sessions_capacity')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_live_sessions_times')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_live_sessions_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_live_sessions_course_id_courses'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_live_sessions_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_sessions'))
    )
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_sessions_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_live_sessions_starts_at'), ['starts_at'], unique=False)

    op.create_table('session_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('present', 'late', 'excused', 'absent')", name=op.f('ck_session_attendance_status')),
    sa.CheckConstraint('minutes IS NULL OR minutes >= 0', name=op.f('ck_session_attendance_minutes')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_session_attendance_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['live_sessions.id'], name=op.f('fk_session_attendance_session_id_live_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_attendance_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_attendance')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_session_attendance_session_id_user_id'))
    )
    with op.batch_alter_table('session_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_attendance_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_attendance_user_id'), ['user_id'], unique=False)

    op.create_table('session_facilitators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('guest_name', sa.String(length=120), nullable=True),
    sa.CheckConstraint('user_id IS NOT NULL OR guest_name IS NOT NULL', name=op.f('ck_session_facilitators_who')),
    sa.ForeignKeyConstraint(['session_id'], ['live_sessions.id'], name=op.f('fk_session_facilitators_session_id_live_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_facilitators_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_facilitators')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_session_facilitators_session_id_user_id'))
    )
    with op.batch_alter_table('session_facilitators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_facilitators_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_facilitators_user_id'), ['user_id'], unique=False)

    op.create_table('session_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('registered', 'waitlisted', 'cancelled')", name=op.f('ck_session_registrations_state')),
    sa.ForeignKeyConstraint(['session_id'], ['live_sessions.id'], name=op.f('fk_session_registrations_session_id_live_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_registrations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_registrations')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_session_registrations_session_id_user_id'))
    )
    with op.batch_alter_table('session_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_registrations_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_registrations_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('session_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_registrations_user_id'))
        batch_op.drop_index(batch_op.f('ix_session_registrations_session_id'))

    op.drop_table('session_registrations')
    with op.batch_alter_table('session_facilitators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_facilitators_user_id'))
        batch_op.drop_index(batch_op.f('ix_session_facilitators_session_id'))

    op.drop_table('session_facilitators')
    with op.batch_alter_table('session_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_attendance_user_id'))
        batch_op.drop_index(batch_op.f('ix_session_attendance_session_id'))

    op.drop_table('session_attendance')
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_sessions_starts_at'))
        batch_op.drop_index(batch_op.f('ix_live_sessions_cohort_id'))

    op.drop_table('live_sessions')
    with op.batch_alter_table('live_requirements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_requirements_course_id'))
        batch_op.drop_index(batch_op.f('ix_live_requirements_cohort_id'))

    op.drop_table('live_requirements')
    op.drop_table('live_preferences')
