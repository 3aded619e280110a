"""Courses' signals: the ones the app relies on have subscribers; course_imported reaches its own."""

import pytest
from flask import Flask

from lms.courses import services, signals
from lms.records import services as records
from tests.courses.course_builder import write_course


@pytest.mark.parametrize(
    ("signal", "who"),
    [
        (signals.course_completed, "certificates issue the certificate asked for before completing"),
        (signals.completion_requirements, "cohorts make completion wait for live-session attendance"),
        (signals.peer_group_requested, "cohorts say which group a learner's work is peer-reviewed in"),
        (signals.course_page_boxes, "certificates and cohorts add their boxes to the course page"),
    ],
)
def test_the_signals_the_app_relies_on_have_subscribers(app, signal, who):
    assert list(signal.receivers_for(app)), who


def test_records_ask_courses_for_the_context_of_quiz_and_task_records(app):
    assert services.learning_context in list(records.context_requested.receivers_for(app))


def test_course_imported_reaches_the_apps_subscribers_on_create_and_update(app, db, tmp_path):
    seen = []

    def receiver(sender, *, course, package):
        seen.append((sender, course.slug, course.version, package.version))

    signals.on_course_imported(app, receiver)
    try:
        first = write_course(tmp_path / "v1", slug="announced")
        services.import_path(first)
        services.import_path(first)  # unchanged: no signal
        services.import_path(write_course(tmp_path / "v2", slug="announced", version=2))
    finally:
        signals.course_imported.disconnect(receiver, sender=app)
    assert seen == [(app, "announced", 1, 1), (app, "announced", 2, 2)]


def test_course_imported_is_scoped_to_its_app(app, db, tmp_path):
    seen = []

    def receiver(_sender, *, course, package):
        seen.append(course.slug)

    signals.on_course_imported(Flask("another-app"), receiver)
    try:
        services.import_path(write_course(tmp_path, slug="unheard"))
    finally:
        signals.course_imported.disconnect(receiver)
    assert seen == []
