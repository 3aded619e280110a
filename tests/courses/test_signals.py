"""Courses' signals: the ones the app relies on have subscribers."""

import pytest

from lms.courses import services, signals
from lms.records import services as records


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
