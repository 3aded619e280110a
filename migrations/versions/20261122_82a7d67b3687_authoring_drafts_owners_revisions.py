"""authoring drafts, owners, revisions

Reviewed: drafts hold package files; revisions keep who, what and when.

Revision ID: 82a7d67b3687
Revises: 5bf0b4aa98d1
Create Date: 2026-11-22 06:36:13.389651

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '82a7d67b3687'
down_revision = '5bf0b4aa98d1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('course_owners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_slug', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_course_owners_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_course_owners_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_owners')),
    sa.UniqueConstraint('course_slug', 'user_id', name=op.f('uq_course_owners_course_slug_user_id'))
    )
    with op.batch_alter_table('course_owners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_owners_course_slug'), ['course_slug'], unique=False)
        batch_op.create_index(batch_op.f('ix_course_owners_user_id'), ['user_id'], unique=False)

    op.create_table('drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_drafts_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drafts')),
    sa.UniqueConstraint('slug', name=op.f('uq_drafts_slug'))
    )
    op.create_table('draft_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_draft_changes_draft_id_drafts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_draft_changes_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft_changes'))
    )
    with op.batch_alter_table('draft_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draft_changes_draft_id'), ['draft_id'], unique=False)

    op.create_table('draft_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_draft_files_draft_id_drafts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_draft_files_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft_files')),
    sa.UniqueConstraint('draft_id', 'path', name=op.f('uq_draft_files_draft_id_path'))
    )
    op.create_table('translation_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=400), nullable=False),
    sa.Column('source_path', sa.String(length=400), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_translation_sources_draft_id_drafts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_translation_sources')),
    sa.UniqueConstraint('draft_id', 'path', name=op.f('uq_translation_sources_draft_id_path'))
    )
    op.create_table('draft_file_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('change_id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('lesson_slug', sa.String(length=64), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['change_id'], ['draft_changes.id'], name=op.f('fk_draft_file_revisions_change_id_draft_changes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_draft_file_revisions_draft_id_drafts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft_file_revisions'))
    )
    with op.batch_alter_table('draft_file_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draft_file_revisions_change_id'), ['change_id'], unique=False)
        batch_op.create_index('ix_draft_file_revisions_lesson', ['draft_id', 'lesson_slug', 'locale'], unique=False)


def downgrade():
    with op.batch_alter_table('draft_file_revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_draft_file_revisions_lesson')
        batch_op.drop_index(batch_op.f('ix_draft_file_revisions_change_id'))

    op.drop_table('draft_file_revisions')
    op.drop_table('translation_sources')
    op.drop_table('draft_files')
    with op.batch_alter_table('draft_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draft_changes_draft_id'))

    op.drop_table('draft_changes')
    op.drop_table('drafts')
    with op.batch_alter_table('course_owners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_owners_user_id'))
        batch_op.drop_index(batch_op.f('ix_course_owners_course_slug'))

    op.drop_table('course_owners')
