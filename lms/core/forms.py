"""Forms whose service may refuse: the refusal is shown in the form and nothing it wrote is kept."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import current_app

from lms.core.errors import DomainError

T = TypeVar("T")


@dataclass(frozen=True)
class Done(Generic[T]):
    """A service call that went through, with what it returned."""

    result: T


def carry_out(form, action: Callable[[], T]) -> Done[T] | None:
    """Run the service call of a submitted, valid form: Done(result), or None once refused.

    A refusal the user can correct (a domain error answered with a 4xx other than 403 and 404)
    is rolled back and shown among the form's errors; a 403, 404 or 5xx goes on to the app's
    error page. The caller commits after a Done, once.
    """
    try:
        return Done(action())
    except DomainError as error:
        if error.status in (403, 404) or error.status >= 500:
            raise
        current_app.extensions["sqlalchemy"].session.rollback()
        form.form_errors.append(error.message)
        return None
