"""Server-side session revocation: an old copy of the cookie is refused afterwards."""

from lms.accounts import services
from tests.conftest import PASSWORD


def _cookie(client) -> str:
    return client.get_cookie("tamkeen_session").value


def _reuse(client, value: str):
    client.set_cookie("tamkeen_session", value)
    return client.get("/me/")


def test_old_cookie_is_refused_after_signout(client, auth, make_user):
    make_user(username="revoke1")
    auth.login("revoke1")
    stolen = _cookie(client)
    assert _reuse(client, stolen).status_code == 200
    auth.logout()
    assert _reuse(client, stolen).status_code == 302


def test_old_cookies_are_refused_after_password_change(client, auth, make_user, app):
    make_user(username="revoke2")
    auth.login("revoke2")
    stolen = _cookie(client)
    response = client.post_form(
        "/me/password",
        {"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        token_from="/me/password",
    )
    assert response.status_code == 303
    assert client.get("/me/").status_code == 200  # the session that changed it continues
    other = app.test_client()
    other.set_cookie("tamkeen_session", stolen)
    assert other.get("/me/").status_code == 302


def test_old_cookie_is_refused_after_admin_disables_the_account(app, client, auth, make_user):
    make_user(username="admin1", role="admin")
    victim = make_user(username="revoke3")
    victim_client = app.test_client()
    victim_auth_token = victim_client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', victim_auth_token).group(1)
    victim_client.post("/login", data={"csrf_token": token, "username": "revoke3", "password": PASSWORD})
    assert victim_client.get("/me/").status_code == 200
    auth.login("admin1")
    response = client.post_form(f"/admin/users/{victim.id}/disable", token_from="/admin/users")
    assert response.status_code == 303
    assert victim_client.get("/me/").status_code == 302


def test_session_cookie_holds_no_user_data(client, auth, make_user):
    make_user(username="opaque", email="opaque@example.org")
    auth.login("opaque")
    import base64
    import zlib

    value = _cookie(client)
    payload = value.split(".")[1] if value.startswith(".") else value.split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    data = zlib.decompress(raw) if value.startswith(".") else raw
    assert b"opaque@example.org" not in data and b"opaque" not in data


def test_admins_cannot_disable_themselves(client, auth, make_user):
    admin = make_user(username="admin2", role="admin")
    auth.login("admin2")
    client.post_form(f"/admin/users/{admin.id}/disable", token_from="/admin/users")
    assert services.get_user(admin.id).is_disabled is False


FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)


def _browser(app, user_agent: str):
    """Another browser, signed in as the same account."""
    import re

    other = app.test_client()
    other.environ_base["HTTP_USER_AGENT"] = user_agent
    page = other.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = other.post("/login", data={"csrf_token": token, "username": "many", "password": PASSWORD})
    assert response.status_code == 303
    return other


def test_the_sessions_page_lists_each_browser_coarsely_and_ends_one(app, client, auth, make_user, db):
    user = make_user(username="many")
    phone = _browser(app, FIREFOX_ANDROID)
    client.environ_base["HTTP_USER_AGENT"] = CHROME_WINDOWS
    auth.login("many")
    page = client.get("/me/sessions").get_data(as_text=True)
    assert "Firefox on Android" in page and "Chrome on Windows" in page
    assert "this browser" in page
    assert "128.0" not in page and "126.0" not in page and "127.0.0.1" not in page  # no versions, no IP
    assert 'href="/me/sessions"' in client.get("/me/profile").get_data(as_text=True)
    assert phone.get("/me/").status_code == 200
    phone_row = next(row for row in services.list_sessions(user) if row.device == "Firefox/Android")
    response = client.post_form(f"/me/sessions/{phone_row.id}/end", token_from="/me/sessions")
    assert response.status_code == 303
    assert phone.get("/me/").status_code == 302  # revoked server-side at once
    assert client.get("/me/").status_code == 200  # this browser stays signed in
    assert [row.device for row in services.list_sessions(user)] == ["Chrome/Windows"]


def test_ending_every_other_session_keeps_this_one(app, client, auth, make_user):
    make_user(username="many")
    phones = [_browser(app, FIREFOX_ANDROID) for _index in range(2)]
    auth.login("many")
    response = client.post_form("/me/sessions/end-others", token_from="/me/sessions")
    assert response.status_code == 303
    assert all(phone.get("/me/").status_code == 302 for phone in phones)
    assert client.get("/me/").status_code == 200


def test_ending_this_browsers_own_session_signs_out(client, auth, make_user):
    user = make_user(username="self-ender")
    auth.login("self-ender")
    (row,) = services.list_sessions(user)
    response = client.post_form(f"/me/sessions/{row.id}/end", token_from="/me/sessions")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/me/").status_code == 302


def test_a_tampered_session_id_cannot_end_another_accounts_session(app, client, auth, make_user):
    victim = make_user(username="many")
    victim_browser = _browser(app, FIREFOX_ANDROID)
    make_user(username="attacker")
    auth.login("attacker")
    (victim_row,) = services.list_sessions(victim)
    for target in (str(victim_row.id), "999999"):
        response = client.post_form(f"/me/sessions/{target}/end", token_from="/me/sessions")
        assert response.status_code == 404, target
    for bad in ("abc", "-1", "1.5", "%00"):
        assert client.post_form(f"/me/sessions/{bad}/end", token_from="/me/sessions").status_code == 404
    assert client.post(f"/me/sessions/{victim_row.id}/end").status_code == 400  # no CSRF token
    assert victim_browser.get("/me/").status_code == 200
    assert len(services.list_sessions(victim)) == 1


def test_last_used_is_kept_coarse(app, client, auth, make_user, db):
    from datetime import timedelta

    from lms.core.db import utcnow

    user = make_user(username="coarse")
    auth.login("coarse")
    (row,) = services.list_sessions(user)
    first = row.last_used_at
    client.get("/me/")
    db.session.refresh(row)
    assert row.last_used_at == first  # not written on every page
    row.last_used_at = utcnow() - timedelta(hours=1)
    db.session.flush()
    client.get("/me/")
    db.session.expire_all()
    (row,) = services.list_sessions(user)
    assert utcnow() - row.last_used_at < timedelta(minutes=1)
