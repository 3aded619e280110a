"""The certificates' errors: each carries its HTTP status and a message for the user."""

from lms.core.errors import DomainError, ForbiddenError


class CertificateError(DomainError):
    """A certificate operation that cannot be done; the message is for the user."""


class NotEligible(CertificateError):
    """The learner has not (yet) earned this certificate."""


class NameRefused(CertificateError):
    """The name cannot be printed as typed."""


class NotInScope(CertificateError, ForbiddenError):
    """The user may not manage this certificate (not an admin, nor a manager who sees its learner)."""


class Unavailable(CertificateError):
    """Nothing was issued because the server cannot do it just now; try again later (503)."""

    status = 503
    retry_after = 300


class StorageFailed(Unavailable):
    """The PDF could not be written (disk full or failing): nothing was issued."""


class RenderFailed(Unavailable):
    """The PDF could not be rendered in time: nothing was issued."""
