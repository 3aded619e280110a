"""The errors of reports, each with its HTTP status (answered by `lms.core.errors`)."""

from lms.core.errors import DomainError, ForbiddenError, NotFoundError


class ReportError(DomainError):
    """A report request that cannot be carried out; the message is for the user (400)."""


class NotAllowed(ReportError, ForbiddenError):
    """The user may not see this (403)."""


class NotFound(ReportError, NotFoundError):
    """The object does not exist (404)."""
