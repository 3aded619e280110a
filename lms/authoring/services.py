"""Authoring's public services: who may edit, drafts and their history, translations, publishing.

Services take the acting user, never commit, and flush; the view commits once. This module
only re-exports the package's private modules (`access`, `drafts`, `translations`,
`history`, `packages`, `publishing`, `learners`, `banks`, `errors`); other domains and the
views call them through it.
"""

from lms.authoring.access import (
    Owner,
    Workspace,
    add_owner,
    can_edit,
    owners,
    remove_owner,
    trains_cohort,
    workspace,
)
from lms.authoring.banks import (
    QuestionPlace,
    bank_rows,
    merge_source,
    question_place,
    save_question,
    without_question,
)
from lms.authoring.drafts import (
    IMAGE_ERRORS,
    apply,
    current_files,
    media_data,
    media_names,
    outline,
    published_files,
    save_file,
    upload_media,
)
from lms.authoring.errors import (
    AuthoringError,
    Conflict,
    NotAllowed,
    NotFound,
    Problems,
    UnconfirmedTranslations,
)
from lms.authoring.history import (
    ACTIONS,
    HistoryEntry,
    RevisionEntry,
    get_revision,
    history,
    lesson_history,
    reset_to_published,
    restore,
    revision_changes,
)
from lms.authoring.learners import item_analysis, learners, mark_essay, pending_essays
from lms.authoring.packages import create_course, export_zip, import_zip
from lms.authoring.publishing import CourseRow, check, has_unpublished_changes, my_courses, publish
from lms.authoring.translations import (
    Cell,
    TranslationIssue,
    TranslationRow,
    source_changes,
    translation_issues,
    translation_table,
)

__all__ = [
    "QuestionPlace",
    "question_place",
    "ACTIONS",
    "IMAGE_ERRORS",
    "AuthoringError",
    "Cell",
    "Conflict",
    "CourseRow",
    "HistoryEntry",
    "NotAllowed",
    "NotFound",
    "Owner",
    "Problems",
    "RevisionEntry",
    "TranslationIssue",
    "TranslationRow",
    "UnconfirmedTranslations",
    "Workspace",
    "add_owner",
    "apply",
    "bank_rows",
    "can_edit",
    "check",
    "create_course",
    "current_files",
    "export_zip",
    "get_revision",
    "has_unpublished_changes",
    "history",
    "import_zip",
    "item_analysis",
    "learners",
    "lesson_history",
    "mark_essay",
    "media_data",
    "media_names",
    "merge_source",
    "my_courses",
    "outline",
    "owners",
    "pending_essays",
    "publish",
    "published_files",
    "remove_owner",
    "reset_to_published",
    "restore",
    "revision_changes",
    "save_file",
    "save_question",
    "source_changes",
    "trains_cohort",
    "translation_issues",
    "translation_table",
    "upload_media",
    "without_question",
    "workspace",
]
