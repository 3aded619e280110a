"""A course's parts as xAPI activities, and the context of the records quizzes and tasks send."""

import sqlalchemy as sa
from flask import current_app

from lms.courses.models import Course, Enrolment, Module
from lms.extensions import db
from lms.records import services as records


def activity_iri(course_slug: str, suffix: str) -> str:
    """Return the xAPI activity IRI of a course part."""
    return f"{current_app.config['SITE_URL'].rstrip('/')}/courses/{course_slug}/{suffix}"


def course_activity(course_slug: str, titles: dict[str, str]) -> records.Activity:
    """Return a course as an xAPI activity."""
    return records.Activity(activity_iri(course_slug, ""), "course", dict(titles))


def module_activity(course_slug: str, module_slug: str, titles: dict[str, str]) -> records.Activity:
    """Return a module as an xAPI activity."""
    return records.Activity(activity_iri(course_slug, module_slug), "module", dict(titles))


def lesson_activity(
    course_slug: str, module_slug: str, lesson_slug: str, titles: dict[str, str]
) -> records.Activity:
    """Return a lesson as an xAPI activity (its IRI is the lesson page's URL)."""
    return records.Activity(activity_iri(course_slug, f"{module_slug}/{lesson_slug}"), "lesson", dict(titles))


def learning_context(_sender, *, user_id: int | None, activity: records.Activity) -> records.Context | None:
    """Give a quiz's, a quiz question's or a practice task's records their module, course and enrolment.

    Answers ``records.context_requested``: quizzes knows nothing of courses, but its activity
    IRIs are the ones courses chose (``<course>/<module>/quiz``, ``<course>/assessment``).
    """
    prefix = activity_iri("", "").rstrip("/") + "/"  # <site>/courses/
    if not activity.id.startswith(prefix):
        return None
    parts = activity.id[len(prefix) :].split("/")
    if len(parts) < 2:
        return None
    slug = parts[0]
    if parts[1] == "assessment":
        quiz_parts, module_slug = parts[1:], None
    elif len(parts) >= 3 and parts[2] in ("quiz", "task"):
        quiz_parts, module_slug = parts[1:], parts[1]
    else:
        return None
    enrolment = (
        sa.select(Enrolment.registration)
        .where(Enrolment.course_id == Course.id, Enrolment.user_id == user_id)
        .scalar_subquery()
    )
    module_titles = sa.null() if module_slug is None else Module.titles
    query = sa.select(Course.titles, module_titles, enrolment).where(Course.slug == slug)
    if module_slug is not None:
        query = query.join(Module, sa.and_(Module.course_id == Course.id, Module.slug == module_slug))
    row = db.session.execute(query).first()
    if row is None:
        return None
    course_titles, module_titles, registration = row
    around = [course_activity(slug, course_titles)]
    if module_slug is not None:
        around.insert(0, module_activity(slug, module_slug, module_titles or {}))
    if len(quiz_parts) > (1 if module_slug is None else 2):  # a question of the quiz
        quiz_iri = prefix + "/".join(parts[: 2 if module_slug is None else 3])
        quiz = records.Activity(quiz_iri, "assessment", dict(around[0].name))
        return records.Context(registration=registration, parent=(quiz,), grouping=tuple(around))
    if parts[2:3] == ["task"]:  # a practice task keeps its own name
        return records.Context(registration=registration, parent=tuple(around))
    # A module's quiz is named as its module, the knowledge check as its course.
    return records.Context(registration=registration, parent=tuple(around), object_name=dict(around[0].name))
