"""The tests answer attempts with the product's own helper (also used by the demo programme)."""

from lms.quizzes.services import form_for

__all__ = ["form_for"]
