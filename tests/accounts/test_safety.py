"""Safety for learners at risk: the decoy after a quick exit, discreet mode across the chrome,
neutral mail and file names (issue 18). Browser behaviour (Back, Escape) is in tests/e2e."""

import re
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from lms.core.safety import DECOY_COOKIE
from lms.extensions import jobs
from tests.conftest import ROOT, sent_mail

LESSON = "/courses/sample-course/council-and-upr/human-rights-council"


@pytest.fixture
def sample_course(db):
    """The sample course (it has lessons, a quiz and an image)."""
    from lms.courses import services

    services.import_path(ROOT / "tests" / "courses" / "fixtures" / "sample-course")
    db.session.flush()


def _title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), flags=re.S).group(1)


def _is_decoy(response) -> bool:
    body = response.get_data(as_text=True)
    return response.status_code == 200 and _title(response) == "Notes" and "Nothing here yet." in body


def _exit(client):
    return client.post_form("/exit", token_from="/login")


def test_after_a_quick_exit_every_address_shows_the_decoy(client, auth, make_user, sample_course):
    make_user(username="leaver2")
    auth.login("leaver2")
    assert client.get(LESSON).status_code == 200
    response = _exit(client)
    cookie = client.get_cookie(DECOY_COOKIE)
    assert cookie is not None and "tamkeen" not in cookie.key.lower()
    assert "HttpOnly" in ",".join(response.headers.getlist("Set-Cookie"))
    for path in [LESSON, "/", "/courses/", "/me/", "/me/sessions", "/safety", "/no-such-page", "/healthz"]:
        page = client.get(path)
        assert _is_decoy(page), path
        assert page.headers["Cache-Control"] == "no-store", path
        body = page.get_data(as_text=True)
        assert "Tamkeen" not in body and "tamkeen" not in body.lower(), path
        assert "tamkeen" not in " ".join(page.headers.getlist("Set-Cookie")).lower(), path
    assert _is_decoy(client.post("/me/erase", data={"password": "x"}))  # a POST too


def test_the_decoy_lasts_its_configured_time(app, client):
    app.config["QUICK_EXIT_MINUTES"] = 45
    try:
        response = _exit(client)
    finally:
        app.config["QUICK_EXIT_MINUTES"] = 30
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{DECOY_COOKIE}="))
    assert "Max-Age=2700" in cookie
    assert _is_decoy(client.get("/courses/"))


class _HalfAnHourAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 31 * 60


def test_an_expired_decoy_cookie_is_ignored(app, client):
    fresh = URLSafeTimedSerializer(app.secret_key, salt="quick-exit-decoy").dumps(1)
    client.set_cookie(DECOY_COOKIE, fresh)
    assert _is_decoy(client.get("/courses/"))
    stale = URLSafeTimedSerializer(app.secret_key, salt="quick-exit-decoy", signer=_HalfAnHourAgo).dumps(1)
    client.set_cookie(DECOY_COOKIE, stale)
    page = client.get("/courses/")
    assert page.status_code == 200 and not _is_decoy(page)


@pytest.mark.parametrize(
    "value", ["", "1", "forged.value.here", "x" * 4000, "%00%ff", "eyJhbGciOiJub25lIn0.e30."]
)
def test_a_forged_decoy_cookie_never_breaks_a_page(client, value):
    client.set_cookie(DECOY_COOKIE, value)
    for path in ["/", "/courses/", "/login", "/safety"]:
        page = client.get(path)
        assert page.status_code == 200 and not _is_decoy(page), (value, path)


def test_a_decoy_signed_with_another_key_is_ignored(client):
    other = URLSafeTimedSerializer("not the site's key", salt="quick-exit-decoy").dumps(1)
    client.set_cookie(DECOY_COOKIE, other)
    assert not _is_decoy(client.get("/courses/"))


def test_signing_in_again_ends_the_decoy(client, auth, make_user):
    make_user(username="comeback")
    _exit(client)
    login = client.get("/login")
    assert login.status_code == 200 and 'name="password"' in login.get_data(as_text=True)
    assert "Tamkeen" not in login.get_data(as_text=True)  # shown in discreet mode meanwhile
    failed = auth.login("comeback", "wrong password!")
    assert failed.status_code == 200 and client.get_cookie(DECOY_COOKIE) is not None
    response = auth.login("comeback")
    assert response.status_code == 303
    assert client.get_cookie(DECOY_COOKIE) is None
    assert client.get("/me/").status_code == 200


def test_the_quick_exit_works_without_a_valid_token_on_this_browser(client, auth, make_user):
    make_user(username="no-token")
    auth.login("no-token")
    stolen = client.get_cookie("tamkeen_session").value
    response = client.post("/exit", data={"csrf_token": "stale"})
    assert response.status_code == 303 and response.headers["Location"] == "/notes"
    assert _is_decoy(client.get("/me/"))
    # Without a valid token nothing changed server-side: the session only left this browser.
    client.delete_cookie(DECOY_COOKIE)
    client.set_cookie("tamkeen_session", stolen)
    assert client.get("/me/").status_code == 200


def test_every_page_is_no_store(client):
    for path in ["/", "/courses/", "/login", "/register", "/safety", "/notes", "/no-such-page"]:
        assert client.get(path).headers["Cache-Control"] == "no-store", path


# Discreet mode --------------------------------------------------------------------------------


def _discreet_on(client):
    client.post_form("/discreet", {"discreet": "1", "next": "/"})


def test_discreet_mode_disguises_the_whole_chrome(client, sample_course):
    normal = client.get("/courses/").get_data(as_text=True)
    assert "Tamkeen" in normal and "free learning for civil society" in normal
    _discreet_on(client)
    for path in ["/", "/courses/", LESSON, "/login", "/register", "/safety", "/no-such-page"]:
        body = client.get(path).get_data(as_text=True)
        assert "Tamkeen" not in body, path
        assert "free learning for civil society" not in body and "Learning for civil society" not in body
        assert re.search(r'<link rel="icon" href="/static/neutral\.[0-9a-f]{12}\.svg"', body), path
        assert "favicon" not in body, path
        assert '<a class="brand" href="/">Notes</a>' in body, path
    lesson = client.get(LESSON).get_data(as_text=True)
    assert "Human Rights Council" in lesson  # the lesson itself stays readable


def test_discreet_mode_in_arabic_shows_no_brand(client, sample_course):
    client.post_form("/language", {"lang": "ar", "next": "/"})
    assert "تمكين" in client.get("/courses/").get_data(as_text=True)
    _discreet_on(client)
    body = client.get("/courses/").get_data(as_text=True)
    assert "تمكين" not in body and "Tamkeen" not in body
    assert "<title>ملاحظات</title>" in body


def test_discreet_mode_survives_sign_out_and_quick_exit(client, auth, make_user, db):
    user = make_user(username="stays-discreet")
    auth.login("stays-discreet")
    client.post_form(
        "/me/profile", {"display_name": "", "locale": "", "is_discreet": "y"}, token_from="/me/profile"
    )
    db.session.refresh(user)
    assert user.is_discreet
    auth.logout()
    assert _title(client.get("/courses/")) == "Notes"  # the browser keeps the choice signed out
    auth.login("stays-discreet")
    _exit(client)
    client.delete_cookie(DECOY_COOKIE)  # the decoy period is over
    assert _title(client.get("/courses/")) == "Notes"


def test_turning_discreet_mode_off_in_the_profile_turns_it_off_here(client, auth, make_user):
    make_user(username="undiscreet")
    auth.login("undiscreet")
    _discreet_on(client)
    assert _title(client.get("/me/")) == "Notes"
    client.post_form("/me/profile", {"display_name": "", "locale": ""}, token_from="/me/profile")
    assert "Tamkeen" in _title(client.get("/me/"))


def test_discreet_reset_mail_has_a_neutral_subject_and_sender(app, client, make_user, db):
    plain = make_user(username="plain-mail", email="plain@example.org")
    hidden = make_user(username="hidden-mail", email="hidden@example.org")
    hidden.is_discreet = True
    db.session.flush()
    for address in ("plain@example.org", "hidden@example.org"):
        client.post_form(
            "/forgot", {"email": address}, token_from="/forgot"
        ).close()  # sent: work after it runs
    by_to = {m["to"]: m for m in sent_mail(app)}
    assert "Tamkeen" in by_to["plain@example.org"]["subject"]
    assert "Tamkeen" in by_to["plain@example.org"]["sender"]
    neutral = by_to["hidden@example.org"]
    for part in ("subject", "sender", "body"):
        assert "Tamkeen" not in neutral[part], part
    assert neutral["sender"].startswith("Notes <") and "/reset/" in neutral["body"]
    assert plain.username in by_to["plain@example.org"]["body"]


def test_discreet_downloads_get_neutral_file_names(app, client, sample_course):
    assert client.get("/courses/sample-course/council-and-upr/handbook.pdf").status_code == 202
    jobs.state(app).run_pending()  # the worker renders the handbook
    normal = client.get("/courses/sample-course/council-and-upr/handbook.pdf")
    assert "sample-course" in normal.headers["Content-Disposition"]
    _discreet_on(client)
    hidden = client.get("/courses/sample-course/council-and-upr/handbook.pdf")
    assert hidden.status_code == 200 and hidden.data.startswith(b"%PDF")
    assert hidden.headers["Content-Disposition"] == 'attachment; filename="document.pdf"'


# The safety page ------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "ar", "fr", "es", "tr"])
def test_the_safety_page_is_in_every_language_and_linked(app, client, locale):
    client.post_form("/language", {"lang": locale, "next": "/"})
    page = client.get("/safety")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and f'lang="{locale}"' in body
    assert body.count("<h2") >= 4
    assert 'href="/me/data.json"' in body and 'href="/me/erase"' in body and 'href="/me/sessions"' in body
    assert "onion" not in body.lower()  # no onion address configured
    if locale != "en":
        assert "What these features cannot do" not in body  # translated, not English
    assert 'href="/safety"' in client.get("/courses/").get_data(as_text=True)  # footer
    assert 'href="/safety"' in client.get("/register").get_data(as_text=True)


def test_the_safety_page_gives_the_onion_address_when_there_is_one(app, client):
    app.config["ONION_URL"] = "http://example2fz3k4ftbnzbkk6nbaoiylonruy4uzw6ahl5vxhdf6rl36ad.onion/"
    try:
        body = client.get("/safety").get_data(as_text=True)
    finally:
        app.config["ONION_URL"] = ""
    assert "example2fz3k4ftbnzbkk6nbaoiylonruy4uzw6ahl5vxhdf6rl36ad.onion" in body


def test_a_second_quick_exit_does_not_turn_discreet_mode_on_for_good(client):
    _exit(client)
    _exit(client)  # pressed again while the decoy is on
    client.delete_cookie(DECOY_COOKIE)
    assert "Tamkeen" in _title(client.get("/courses/"))


# Opaque addresses in discreet mode ------------------------------------------------------------

COURSE_PAGE = "/courses/sample-course/"


def _hrefs(response) -> list[str]:
    return re.findall(r'(?:href|action)="([^"]*)"', response.get_data(as_text=True))


def test_discreet_mode_gives_course_links_opaque_addresses(client, sample_course):
    normal = client.get("/courses/")
    assert COURSE_PAGE in _hrefs(normal)
    _discreet_on(client)
    catalog = client.get("/courses/")
    links = _hrefs(catalog)
    assert not [link for link in links if "sample-course" in link], links
    assert "/courses/" in links  # the catalog names no course: it keeps its address
    course_page = client.get(COURSE_PAGE)  # normal addresses keep working
    opaque = [link for link in links if link.startswith("/n/")]
    assert opaque
    for link in opaque:
        page = client.get(link)
        if page.status_code == 202:  # a handbook not rendered yet: the "being prepared" page
            assert b'http-equiv="refresh"' in page.data and _title(page) == "Notes"
            continue
        assert page.status_code == 200 or _to_sign_in(page), link  # a quiz asks to sign in
        if page.mimetype == "text/html":
            assert _title(page) == "Notes"
    lesson_links = [link for link in _hrefs(course_page) if link.startswith("/n/")]
    assert lesson_links and not [link for link in _hrefs(course_page) if "/courses/sample-course" in link]
    pages = [client.get(link) for link in lesson_links]
    # A quiz asks to sign in (302); a handbook not rendered yet is "being prepared" (202).
    assert all(
        page.status_code == 200
        or _to_sign_in(page)
        or (page.status_code == 202 and b'http-equiv="refresh"' in page.data)
        for page in pages
    )
    lessons = [p for p in pages if p.mimetype == "text/html" and 'class="lesson"' in p.get_data(as_text=True)]
    assert lessons  # a lesson, read through its opaque address


def _to_sign_in(page) -> bool:
    return page.status_code == 302 and page.headers["Location"].startswith("/login")


def test_redirects_to_a_course_are_opaque_too(client, auth, make_user, sample_course):
    make_user(username="opaque-redirects")
    _discreet_on(client)
    anonymous = client.post_form("/courses/sample-course/enroll", token_from="/courses/")
    assert anonymous.status_code == 302
    assert "sample-course" not in anonymous.headers["Location"]
    assert "next=/n/" in anonymous.headers["Location"]
    auth.login("opaque-redirects")
    enrolled = client.post_form("/courses/sample-course/enroll", token_from="/courses/")
    assert enrolled.status_code == 303 and enrolled.headers["Location"].startswith("/n/")
    assert client.get(enrolled.headers["Location"]).status_code == 200


def test_an_opaque_address_works_only_in_the_browser_that_got_it(app, client, sample_course):
    _discreet_on(client)
    link = next(link for link in _hrefs(client.get("/courses/")) if link.startswith("/n/"))
    assert client.get(link).status_code == 200
    stranger = app.test_client()
    stranger.set_cookie("tamkeen_discreet", "1")
    assert stranger.get(link).status_code == 404
    # Turning discreet mode off forgets the key: the addresses in this browser's history die.
    client.post_form("/discreet", {"discreet": "0", "next": "/"})
    assert client.get(link).status_code == 404
    assert COURSE_PAGE in _hrefs(client.get("/courses/"))


@pytest.mark.parametrize(
    "token", ["x", "AAAA", "%00", "a" * 3000, "////", "Zm9v", "..%2f..%2fetc", "n/n/n", "\u0645"]
)
def test_a_forged_opaque_address_is_a_plain_404(client, token):
    _discreet_on(client)
    client.get("/courses/")  # the browser gets its address key
    assert client.get(f"/n/{token}").status_code == 404


def test_discreet_data_download_gets_a_neutral_file_name(client, auth, make_user):
    make_user(username="neutral-download")
    auth.login("neutral-download")
    assert "tamkeen-my-data.json" in client.get("/me/data.json").headers["Content-Disposition"]
    _discreet_on(client)
    assert (
        client.get("/me/data.json").headers["Content-Disposition"] == 'attachment; filename="document.json"'
    )
