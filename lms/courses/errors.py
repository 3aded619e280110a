"""The errors of courses: domain errors carrying their HTTP status; the message is for the user."""

from lms.core.errors import ConflictError, DomainError, ForbiddenError


class CourseError(DomainError):
    """A course operation that cannot be done; the message is for the user."""


class ImportRefused(CourseError, ConflictError):
    """A package that is valid but cannot replace what is installed."""


class NotEnrolled(CourseError, ForbiddenError):
    """Work in a course (a lesson marked done) by a learner who has not enrolled in it."""


class ModuleLocked(CourseError, ForbiddenError):
    """Work in a module whose previous module the learner has not completed yet."""
