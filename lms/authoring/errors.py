"""Authoring's errors: each is a DomainError carrying its HTTP status and a message for the user."""

from __future__ import annotations

from collections.abc import Iterable

from lms.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError


class AuthoringError(DomainError):
    """An editing request that cannot be done; the message is for the user."""


class NotFound(AuthoringError, NotFoundError):
    """A name in the request (an owner, a revision, an answer) is not one of this course's."""


class NotAllowed(AuthoringError, ForbiddenError):
    """The user may not use the editor."""


class Conflict(AuthoringError, ConflictError):
    """The file changed since the editor loaded it."""


class UnconfirmedTranslations(AuthoringError, ConflictError):
    """Some translations are stale or missing and the trainer has not said to publish anyway."""


class Problems(AuthoringError):
    """A package or a quiz that has problems; `problems` lists them as path:line: message."""

    def __init__(self, message: str, problems: Iterable[object]) -> None:
        super().__init__(message)
        self.problems = [str(p) for p in problems]
