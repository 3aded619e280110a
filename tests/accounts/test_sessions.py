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
