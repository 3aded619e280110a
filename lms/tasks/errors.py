"""The practice-task domain's errors, each carrying its HTTP status (see lms.core.errors).

A tampered review form is `rubric.InvalidReview` (400) and a refused attachment
`files.FileRefused`: both come from pure modules that know nothing of HTTP.
"""

from lms.core.errors import ConflictError, DomainError


class TaskError(DomainError):
    """A task request that cannot be carried out; the message is for the user (422)."""

    status = 422


class OverWordLimit(TaskError):
    """An answer longer than the task allows; the draft was kept."""


class AlreadyReviewed(TaskError, ConflictError):
    """Someone else recorded a decision on this version first (409)."""

    status = 409
