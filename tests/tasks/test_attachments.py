"""Attachments: PDF, DOCX or ODT by content, at most 5 MB, not encrypted; downloads only."""

import io
import zipfile

import pytest
import sqlalchemy as sa

from lms.courses import services as courses
from lms.tasks import files
from lms.tasks import services as tasks
from lms.tasks.models import Attachment
from tests.tasks.builder import write_task_course

URL = "/courses/file-course/module-1/task"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document/>"})
ENCRYPTED_ODT = _zip(
    {
        "mimetype": b"application/vnd.oasis.opendocument.text",
        "META-INF/manifest.xml": b"<manifest:encryption-data/>",
    }
)


@pytest.mark.parametrize(
    ("name", "data", "kind"), [("a.pdf", PDF, "pdf"), ("b.DOCX", DOCX, "docx"), ("c.odt", ODT, "odt")]
)
def test_real_documents_are_accepted(name, data, kind):
    checked = files.check(name, data)
    assert checked.filename.endswith(kind) and checked.content_type == files.TYPES[kind]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("report.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100, "disguised"),  # a Windows executable
        ("report.docx", PDF, "disguised"),
        ("report.exe", PDF, "type"),
        ("report.pdf", PDF + b"x" * files.MAX_BYTES, "too_big"),
        ("report.pdf", PDF.replace(b"/Root", b"/Encrypt 5 0 R /Root"), "encrypted"),
        ("report.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "encrypted"),
        ("report.odt", ENCRYPTED_ODT, "encrypted"),
        ("report.pdf", b"", "empty"),
    ],
)
def test_disguised_oversized_and_encrypted_files_are_refused(name, data, reason):
    with pytest.raises(files.FileRefused) as refused:
        files.check(name, data)
    assert refused.value.reason == reason


@pytest.fixture
def file_task(tmp_path, db):
    course = courses.import_path(write_task_course(tmp_path, "file-course", attachments=True)).course
    return course, courses.load_outline(course)[0].task


def _post(client, data):
    return client.post_form(URL, data, token_from=URL, content_type="multipart/form-data")


def test_an_attachment_goes_with_the_version_and_is_only_a_download(client, auth, make_user, file_task, db):
    course, task = file_task
    ada = make_user(username="ada")
    courses.enroll(ada, course)
    db.session.commit()
    auth.login("ada")
    sent = _post(
        client,
        {"s1": "Fact.", "s2": "Ask.", "action": "submit", "attachment": (io.BytesIO(PDF), "my report.pdf")},
    )
    assert sent.status_code == 303
    attachment = db.session.scalars(sa.select(Attachment)).one()
    assert attachment.version_id is not None and attachment.filename == "my report.pdf"
    download = client.get(f"{URL}/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    auth.logout()
    make_user(username="bea")
    auth.login("bea")
    assert client.get(f"{URL}/attachments/{attachment.id}").status_code == 404


def test_a_disguised_file_is_refused_with_a_reason_and_the_draft_kept(client, auth, make_user, file_task, db):
    course, task = file_task
    ada = make_user(username="ada")
    courses.enroll(ada, course)
    db.session.commit()
    auth.login("ada")
    exe = (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 200), "report.pdf")
    response = _post(client, {"s1": "My fact.", "s2": "My ask.", "action": "submit", "attachment": exe})
    assert response.status_code == 303
    page = client.get(URL).get_data(as_text=True)
    assert (
        "The file&#39;s content is not what its name says" in page
        or "The file's content is not what its name says" in page
    )
    submission = tasks.get_submission(ada, task)
    assert submission.status == "draft" and submission.draft == {"s1": "My fact.", "s2": "My ask."}
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0


def test_the_mentor_downloads_the_attachment_of_a_submission(client, auth, make_user, file_task, db):
    from lms.accounts.models import Role
    from lms.authoring.models import CourseOwner

    course, task = file_task
    ada = make_user(username="ada")
    tasks.submit(ada, task, {"s1": "F", "s2": "A"}, locale="en", attachment=files.check("n.odt", ODT))
    mentor = make_user(role=Role.TRAINER, username="mentor")
    db.session.add(CourseOwner(course_slug=course.slug, user_id=mentor.id, added_by_id=mentor.id))
    other = make_user(role=Role.TRAINER, username="other-trainer")
    db.session.commit()
    submission = tasks.get_submission(ada, task)
    attachment = db.session.scalars(sa.select(Attachment)).one()
    url = f"/author/file-course/reviews/{submission.id}/attachments/{attachment.id}"
    auth.login("mentor")
    assert "n.odt" in client.get(f"/author/file-course/reviews/{submission.id}").get_data(as_text=True)
    response = client.get(url)
    assert response.status_code == 200 and response.data == ODT
    assert response.headers["Content-Disposition"].startswith("attachment;")
    auth.logout()
    auth.login(other.username)
    assert client.get(url).status_code == 404
