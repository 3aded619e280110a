"""Bounded inputs: form bodies, ids in URLs and query strings, image pixels (issue 15, point 4)."""

import io

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lms.accounts import services as accounts
from lms.authoring import images
from lms.core.images import MAX_PIXELS, pixel_problem
from lms.courses.package import content


def _gif(frames: int, side: int = 4096) -> bytes:
    # Alternating colours, so that the writer keeps every frame; each one compresses to a few kB.
    pictures = [Image.new("P", (side, side), n % 2) for n in range(frames)]
    for picture in pictures:
        picture.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    out = io.BytesIO()
    pictures[0].save(out, "GIF", save_all=True, append_images=pictures[1:])
    return out.getvalue()


def test_an_oversized_form_is_413_and_changes_nothing(client, db):
    token = client.csrf_token("/register")
    response = client.post(
        "/register",
        data={"csrf_token": token, "username": "big-body", "password": "x" * 600_000},
    )
    assert response.status_code == 413
    assert accounts.find_user("big-body") is None


def test_upload_views_take_more_than_a_form(client, auth, make_user):
    make_user(role="admin", username="uploader")
    auth.login("uploader")
    token = client.csrf_token("/reports/cohorts")

    def upload(roster: bytes):
        # Encoded here: the test client would spool a large body to a file it never closes.
        boundary, body = encode_multipart(
            {"csrf_token": token, "roster": FileStorage(io.BytesIO(roster), "roster.csv")}
        )
        return client.post(
            "/reports/cohorts/999999/members",
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )

    roster = (b"username\n" + b"someone\n" * 80_000)[: 700 * 1024]
    assert upload(roster).status_code == 404  # read and answered, not refused for its size
    assert upload(b"username\n" + b"x" * (2 * 1024 * 1024)).status_code == 413


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/certificates/99999999999999999999"),
        ("GET", "/certificates/2147483648/certificate.pdf"),
        ("POST", "/admin/users/99999999999999999999/disable"),
        ("POST", "/me/organisations/99999999999999999999/leave"),
        ("GET", "/reports/cohorts/9223372036854775808"),
    ],
)
def test_ids_out_of_range_are_not_found(client, auth, make_user, method, path):
    make_user(role="admin", username="id-admin")
    auth.login("id-admin")
    response = client.get(path) if method == "GET" else client.post_form(path)
    assert response.status_code == 404


def test_ids_out_of_range_in_a_report_filter_are_refused(client, auth, make_user):
    make_user(role="admin", username="filter-admin")
    auth.login("filter-admin")
    assert client.get("/reports/?organisation=9999999999").status_code == 400
    assert client.get("/reports/?cohort=2147483648").status_code == 400


def test_an_animation_of_many_large_frames_is_refused_before_decoding():
    data = _gif(5)
    assert len(data) < 200_000  # small on disk, 84 million pixels decoded
    assert pixel_problem(data) == "too-many-pixels"
    with pytest.raises(images.ImageRejected) as refused:
        images.clean(data)
    assert refused.value.code == "too-many-pixels"
    problems = content.check_media("media/bomb.gif", "bomb.gif", data)
    assert any("pixels" in problem.message for problem in problems)
    assert pixel_problem(_gif(2, side=64)) is None


def test_a_decompression_bomb_is_refused_by_pillows_guard_set_on_purpose(app):
    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")
    assert pixel_problem(out.getvalue()) == "too-many-pixels"
