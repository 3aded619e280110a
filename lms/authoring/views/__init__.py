"""Trainers' web editor: courses, modules, lessons, quizzes, translations, publishing.

Every page is under /author/ and needs a trainer or an admin; every course URL is checked
against the user's ownership first (missing and foreign courses both answer 404), and every
nested name (module, lesson, question, revision, answer) against its course.
"""

from lms.authoring.views import content, course, media, people, quizzes, reviews
from lms.authoring.views.common import bp

for pages in (course, content, media, quizzes, people, reviews):
    pages.add_routes(bp)

__all__ = ["bp"]
