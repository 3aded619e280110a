"""Signals courses sends so that higher domains can act on what happens here (blinker, as Flask).

A lower package never imports a higher one: certificates, for instance, subscribes to
`course_completed` to issue a certificate the learner asked for before finishing.
"""

from __future__ import annotations

from dataclasses import dataclass
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


# Completion requirements -----------------------------------------------------------------------

completion_requirements = _signals.signal(
    "completion-requirements",
    doc="Asked before a course is recorded complete: sender is the application, with keyword "
    "arguments `user` and `course`. Each receiver returns None (nothing to require) or a "
    "`Requirement` saying whether what it adds (attendance at live sessions, for instance) is met.",
)


@dataclass(frozen=True)
class Requirement:
    """Something besides the modules that a course's completion waits for, and its state."""

    is_met: bool
    # What the course page says about it, already in the learner's language.
    message: str


class CompletionRequirement(Protocol):
    """What a completion-requirement receiver looks like."""

    def __call__(self, sender: Flask, /, *, user: User, course: Course) -> Requirement | None:
        """Return what the learner must also do to complete the course, or None."""


def add_completion_requirement(app: Flask, receiver: CompletionRequirement) -> None:
    """Make the completions of `app` also wait for what `receiver` requires."""
    completion_requirements.connect(receiver, sender=app, weak=False)


def requirements_for(app: Flask, user: User, course: Course) -> list[Requirement]:
    """Return the requirements that the subscribers of `app` add for this learner and course."""
    return [
        result
        for _receiver, result in completion_requirements.send(app, user=user, course=course)
        if result is not None
    ]


peer_group_requested = _signals.signal(
    "peer-group-requested",
    doc="Sent with keyword arguments `user` and `course` when a learner hands in practice work: "
    "a receiver returns the name of the learner's group in that course (a cohort), or None. "
    "Peers review work from the same group only.",
)


class PeerGroup(Protocol):
    """What a peer-group receiver looks like."""

    def __call__(self, sender: Flask, /, *, user: User, course: Course) -> str | None:
        """Return the learner's group in this course (for peer review), or None."""


def add_peer_group(app: Flask, receiver: PeerGroup) -> None:
    """Let `receiver` say which group a learner's practice work is peer-reviewed in."""
    peer_group_requested.connect(receiver, sender=app, weak=False)


def peer_group_for(app: Flask, user: User, course: Course) -> str | None:
    """Return the first group a subscriber names for this learner and course, or None."""
    for _receiver, result in peer_group_requested.send(app, user=user, course=course):
        if result:
            return result
    return None


course_page_boxes = _signals.signal(
    "course-page-boxes",
    doc="Sent (sender: the app, keywords `user`, `course`, `states`) to build an enrolled learner's "
    "course page: each receiver returns a box's HTML (Markup) or None. Subscribe with `add_course_box`.",
)


def add_course_box(app: Flask, box) -> None:
    """Let a higher domain add a box to an enrolled learner's course page (box(user, course, states))."""
    course_page_boxes.connect(
        lambda _sender, *, user, course, states: box(user, course, states), sender=app, weak=False
    )


def course_boxes(app: Flask, user: User, course: Course, states) -> list:
    """Return the boxes higher domains add to this course page, in the order they were added."""
    return [
        html
        for _receiver, html in course_page_boxes.send(app, user=user, course=course, states=states)
        if html
    ]
