"""The quiz domain's errors, each carrying the HTTP status a request that raised it gets.

Uncaught, `lms.core.errors` answers them once with that status and the message; a view
catches one only to show the message in its own page (a flash, a form error).
"""

from __future__ import annotations

from lms.core.errors import ConflictError, DomainError, ForbiddenError


class QuizError(DomainError):
    """A quiz request that cannot be carried out; the message is for the user (400)."""


class InvalidSubmission(QuizError):
    """A submitted form naming a question or choice the attempt does not have (400)."""


class NoAttemptsLeft(QuizError, ConflictError):
    """The learner has used every attempt this quiz allows (409, or show the message)."""


class NotAllowed(QuizError, ForbiddenError):
    """The acting user may not do this to this object (403; 404 where the object is someone else's)."""


class AlreadyMarked(QuizError, ConflictError):
    """The essay has a mark already; a mark is final (409)."""
