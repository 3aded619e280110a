"""Headers, cookies, CSRF and error pages."""

import re

import pytest

from config import Config, TestConfig
from lms.app import create_app
from tests.conftest import CSRF_RE, PASSWORD
from tests.core.scripts import assert_only_the_exit_script


def _assert_strict_headers(response):
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    "path", ["/", "/login", "/register", "/healthz", "/no-such-page", "/static/style.css"]
)
def test_every_response_carries_strict_headers(client, path):
    response = client.get(path)
    _assert_strict_headers(response)
    response.close()


def test_error_responses_carry_strict_headers_and_no_traceback(client):
    response = client.post("/logout")  # no CSRF token: 400
    assert response.status_code == 400
    _assert_strict_headers(response)
    method_not_allowed = client.get("/logout")
    assert method_not_allowed.status_code == 405
    _assert_strict_headers(method_not_allowed)


def test_unexpected_errors_show_a_generic_page(tmp_path):
    app = create_app(TestConfig, INSTANCE_PATH=str(tmp_path))

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internal detail" not in body and "Traceback" not in body
    _assert_strict_headers(response)


def test_pages_have_no_inline_script_or_third_party_requests(client):
    for path in ["/", "/login", "/register"]:
        body = client.get(path).get_data(as_text=True)
        assert_only_the_exit_script(body)
        assert " style=" not in body
        for url in re.findall(r'(?:src|href|action)="([^"]+)"', body):
            assert not re.match(r"^(https?:)?//", url), url


def test_pages_are_never_cached_so_back_asks_again(client, auth, make_user):
    make_user(username="cachecheck")
    assert client.get("/").headers["Cache-Control"] == "no-store"  # after a quick exit: the decoy
    assert client.get("/courses/").headers["Cache-Control"] == "no-store"
    auth.login("cachecheck")
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert client.get("/me/").headers["Cache-Control"] == "no-store"


def test_session_cookie_flags(client, auth, make_user):
    make_user(username="cookies")
    response = auth.login("cookies")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("tamkeen_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_config_marks_the_cookie_secure():
    assert Config.SESSION_COOKIE_SECURE is True
    assert Config.SESSION_COOKIE_HTTPONLY is True
    assert Config.SESSION_COOKIE_SAMESITE == "Lax"
    assert Config.DEMO_ACCOUNTS is False


def test_post_without_csrf_token_is_refused_and_changes_nothing(client, db):
    from lms.accounts import services

    response = client.post("/register", data={"username": "nocsrf", "password": PASSWORD})
    assert response.status_code == 400
    assert services.find_user("nocsrf") is None
    forged = client.post(
        "/register", data={"username": "nocsrf", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 400
    assert services.find_user("nocsrf") is None


def test_forms_work_over_https_without_a_referer(client, db):
    """Pages send no Referer (no-referrer policy): the CSRF token alone must let a form through."""
    from lms.accounts import services

    page = client.get("/register", base_url="https://learn.example.org")
    token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    response = client.post(
        "/register",
        base_url="https://learn.example.org",
        data={"username": "over-https", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code != 400, response.get_data(as_text=True)[:500]
    assert services.find_user("over-https") is not None


def test_every_form_on_a_page_carries_a_csrf_token(client, auth, make_user):
    make_user(username="forms")
    auth.login("forms")
    for path in ["/", "/me/", "/me/profile", "/me/password", "/me/erase", "/login", "/register"]:
        body = client.get(path).get_data(as_text=True)
        forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", body, flags=re.S)
        for form in forms:
            assert 'name="csrf_token"' in form, (path, form[:120])


def test_no_route_changes_state_on_get(app):
    """Every route that accepts GET is a page; state changes happen on POST only (reviewed list)."""
    get_and_post = sorted(
        rule.endpoint for rule in app.url_map.iter_rules() if {"GET", "POST"} <= rule.methods
    )
    # These render a form on GET and act only on a validated POST with a CSRF token.
    assert set(get_and_post) <= {
        "accounts.register",
        "accounts.login",
        "accounts.recovery_codes",
        "accounts.change_password",
        "accounts.forgot",
        "accounts.reset",
        "accounts.recover",
        "accounts.profile",
        "accounts.erase",
        "accounts.admin_organisations",
    } | {e for e in get_and_post if not e.startswith(("accounts.", "core."))}
