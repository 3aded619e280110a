"""Courses' public services: import and export packages, the catalog, enrolment, progress, completion.

Other domains and tests use courses through this module (and `lms.courses.signals`); the work
is done in the modules it re-exports from.
"""

from lms.courses.activities import (
    activity_iri,
    course_activity,
    learning_context,
)
from lms.courses.catalog import (
    QuizItems,
    catalog,
    course_quizzes,
    courses_by_slug,
    get_course,
    get_published_course,
    item_analysis,
    load_outline,
    task_places,
    topics,
)
from lms.courses.enrolment import (
    continue_lessons,
    enroll,
    get_enrolment,
    my_enrolments,
)
from lms.courses.errors import CourseError, ImportRefused, ModuleLocked, NotEnrolled
from lms.courses.importer import (
    ImportResult,
    content_hash,
    course_files,
    courses_dir,
    export_course,
    import_package,
    import_path,
    read_package,
)
from lms.courses.lessons import (
    get_lesson,
    get_media,
    lesson_contents,
    render_lesson,
)
from lms.courses.models import Course, Enrolment
from lms.courses.progress import (
    ModuleState,
    done_slugs,
    learner_states,
    mark_lesson_done,
    module_states,
    quiz_results,
    quiz_status,
    recheck_completion,
    record_lesson_done,
    record_lesson_read,
    require_unlocked,
    task_status,
    update_completion,
)
from lms.courses.reading import LessonView, lesson_page

__all__ = [
    "Course",
    "CourseError",
    "Enrolment",
    "ImportRefused",
    "ImportResult",
    "LessonView",
    "ModuleLocked",
    "ModuleState",
    "NotEnrolled",
    "QuizItems",
    "activity_iri",
    "catalog",
    "content_hash",
    "continue_lessons",
    "course_activity",
    "course_files",
    "course_quizzes",
    "courses_by_slug",
    "courses_dir",
    "done_slugs",
    "enroll",
    "export_course",
    "get_course",
    "get_enrolment",
    "get_lesson",
    "get_media",
    "get_published_course",
    "import_package",
    "import_path",
    "item_analysis",
    "learner_states",
    "learning_context",
    "lesson_contents",
    "lesson_page",
    "load_outline",
    "mark_lesson_done",
    "module_states",
    "my_enrolments",
    "quiz_results",
    "quiz_status",
    "read_package",
    "recheck_completion",
    "record_lesson_done",
    "record_lesson_read",
    "render_lesson",
    "require_unlocked",
    "task_places",
    "task_status",
    "topics",
    "update_completion",
]
