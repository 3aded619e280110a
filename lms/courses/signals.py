"""Signals courses sends so that higher domains can act on what happens here (blinker, as Flask).

A lower package never imports a higher one: certificates, for instance, subscribes to
`course_completed` to issue a certificate the learner asked for before finishing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from blinker import Namespace

if TYPE_CHECKING:
    from flask import Flask

    from lms.accounts.models import User
    from lms.courses.models import Course

_signals = Namespace()

course_completed = _signals.signal(
    "course-completed",
    doc="Sent once per learner and course, when the course is completed, inside the transaction "
    "that records it: sender is the application, with keyword arguments `user` and `course`. "
    "Receivers flush and never commit; one that must not undo the completion guards itself.",
)


class CourseCompletedReceiver(Protocol):
    """What a `course_completed` receiver looks like."""

    def __call__(self, sender: Flask, /, *, user: User, course: Course) -> None:
        """Act on a learner's completion of a course."""


def on_course_completed(app: Flask, receiver: CourseCompletedReceiver) -> None:
    """Subscribe `receiver` to the completions of this application (not of other instances)."""
    # A strong reference: receivers are plain functions that must live as long as the app.
    course_completed.connect(receiver, sender=app, weak=False)


def send_course_completed(app: Flask, user: User, course: Course) -> None:
    """Tell the subscribers of `app` that `user` has just completed `course`."""
    course_completed.send(app, user=user, course=course)
