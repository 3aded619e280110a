"""Fixtures for the editor: trainers, an admin, and courses owned by one trainer or another."""

import io
import zipfile
from pathlib import Path

import pytest

from lms.authoring.models import CourseOwner
from lms.courses import services as courses
from tests.courses.course_builder import write_course

SAMPLE = Path(__file__).resolve().parents[1] / "courses" / "fixtures" / "sample-course"


@pytest.fixture
def people(make_user):
    """Two trainers, an admin, a manager and a learner."""
    return {
        "owner": make_user(role="trainer", username="trainer-own", display_name="Amal"),
        "other": make_user(role="trainer", username="trainer-other", display_name="Omar"),
        "admin": make_user(role="admin", username="admin-one"),
        "manager": make_user(role="manager", username="manager-one"),
        "learner": make_user(role="learner", username="learner-one", display_name="Layla"),
    }


@pytest.fixture
def sign_in(client, auth, people):
    """sign_in("owner") signs the client in as one of `people`."""

    def _sign_in(who: str):
        client.post_form("/logout")
        response = auth.login(people[who].username)
        assert response.status_code == 303
        return people[who]

    return _sign_in


def own(db, slug: str, user) -> None:
    """Make a user an owner of a course."""
    db.session.add(CourseOwner(course_slug=slug, user_id=user.id, added_by_id=user.id))
    db.session.flush()


@pytest.fixture
def sample(db, people):
    """The documented sample course, published, owned by `owner`."""
    course = courses.import_path(SAMPLE).course
    own(db, course.slug, people["owner"])
    return course


@pytest.fixture
def foreign(db, people, tmp_path):
    """Another published course, owned by `other`."""
    course = courses.import_path(write_course(tmp_path, "foreign-course")).course
    own(db, course.slug, people["other"])
    return course


def zip_folder(folder: Path, top: str | None = None) -> bytes:
    """Zip a course folder (under a top folder when given)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                rel = path.relative_to(folder).as_posix()
                out.writestr(f"{top}/{rel}" if top else rel, path.read_bytes())
    return buffer.getvalue()
