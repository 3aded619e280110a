"""The live-session domain's errors, each carrying its HTTP status (see lms.core.errors)."""

from flask_babel import gettext as _

from lms.core.errors import DomainError, ForbiddenError, NotFoundError


class LiveError(DomainError):
    """A request the live-session rules refuse (answer 400 with the message)."""

    status = 400


class NotFound(LiveError, NotFoundError):
    """No such session or cohort (404)."""

    status = 404


class NotAllowed(LiveError, ForbiddenError):
    """Not this user's session or cohort (403)."""

    status = 403


class UploadRejected(LiveError):
    """An attendance file with bad lines: nothing applied. `problems` holds (line, message)."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__(_("Nothing was changed: correct these lines and upload the file again."))
        self.problems = problems
