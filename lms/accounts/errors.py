"""The errors of account services; each carries its HTTP status (see lms.core.errors)."""

from lms.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError


class AccountError(DomainError):
    """A request about an account that cannot be carried out; the message is for the user."""


class UsernameTaken(AccountError, ConflictError):
    """The username is in use (views must not reveal this)."""


class NotAllowed(AccountError, ForbiddenError):
    """The acting user's role does not allow this."""


class NotFound(AccountError, NotFoundError):
    """The account, organisation or session does not exist, or is not the user's to see."""
