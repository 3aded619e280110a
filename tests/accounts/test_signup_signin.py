"""Sign-up, sign-in, sign-out and enumeration resistance."""

import re

from lms.accounts import services
from lms.accounts.models import User
from tests.conftest import PASSWORD


def _body(response) -> str:
    return response.get_data(as_text=True)


def test_signup_needs_only_username_and_password(client, db):
    response = client.post_form(
        "/register", {"username": "amal", "password": PASSWORD}, token_from="/register"
    )
    assert response.status_code == 303
    user = services.find_user("AMAL")
    assert user is not None and user.email is None and user.role.value == "learner"
    assert user.password_hash.startswith("$argon2id$")


def test_signup_response_is_the_same_for_taken_and_free_usernames(client, make_user):
    make_user(username="taken-name")
    token = client.csrf_token("/register")
    free = client.post("/register", data={"csrf_token": token, "username": "free-name", "password": PASSWORD})
    taken = client.post(
        "/register", data={"csrf_token": token, "username": "taken-name", "password": PASSWORD}
    )
    assert free.status_code == taken.status_code == 303
    assert free.headers["Location"] == taken.headers["Location"]
    assert _body(free) == _body(taken)


def test_signup_refuses_common_and_short_passwords(client, db):
    for password in ["password123", "short", "Qwertyuiop"]:
        response = client.post_form(
            "/register", {"username": "nadia", "password": password}, token_from="/register"
        )
        assert response.status_code == 200
        assert services.find_user("nadia") is None


def test_long_passwords_are_accepted_and_not_truncated(client, make_user):
    long_password = "ب" * 70 + "x" * 70
    make_user(username="longpass", password=long_password)
    assert services.authenticate("longpass", long_password) is not None
    assert services.authenticate("longpass", long_password[:-1]) is None
    assert services.authenticate("longpass", long_password[:72]) is None


def test_signin_failure_is_identical_for_unknown_and_wrong_password(client, make_user):
    make_user(username="existing")
    token = client.csrf_token("/login")
    wrong = client.post(
        "/login", data={"csrf_token": token, "username": "existing", "password": "nope nope nope"}
    )
    unknown = client.post(
        "/login", data={"csrf_token": token, "username": "nobody-here", "password": "nope nope nope"}
    )
    assert wrong.status_code == unknown.status_code == 200
    assert _body(wrong) == _body(unknown)
    assert "not right" in _body(wrong)


def test_unknown_users_cost_the_same_hash_work(app, db, make_user, monkeypatch):
    make_user(username="known")
    calls = []
    from argon2 import PasswordHasher

    original = PasswordHasher.verify

    def counting(self, hash_, password):
        calls.append(self.memory_cost)
        return original(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    with app.test_request_context():
        services.authenticate("known", "wrong password here")
        services.authenticate("unknown", "wrong password here")
    assert len(calls) == 2 and calls[0] == calls[1]


def test_signin_then_signout(client, auth, make_user):
    make_user(username="layla")
    response = auth.login("layla")
    assert response.status_code == 303
    assert client.get("/me/").status_code == 200
    auth.logout()
    assert client.get("/me/").status_code == 302


def test_disabled_account_cannot_sign_in(client, auth, make_user, db):
    user = make_user(username="gone")
    user.is_disabled = True
    db.session.flush()
    response = auth.login("gone")
    assert response.status_code == 200
    assert client.get("/me/").status_code == 302


def test_first_signin_offers_recovery_codes_once(client, db):
    client.post_form("/register", {"username": "omar", "password": PASSWORD}, token_from="/register")
    response = client.post_form("/login", {"username": "omar", "password": PASSWORD}, token_from="/login")
    assert response.headers["Location"].endswith("/me/recovery-codes")
    page = client.post_form("/me/recovery-codes", token_from="/me/recovery-codes")
    codes = re.findall(r"<code>([a-z0-9-]+)</code>", _body(page))
    assert len(codes) == services.RECOVERY_CODE_COUNT
    assert page.headers["Cache-Control"] == "no-store"
    user = services.find_user("omar")
    assert not user.has_pending_recovery_codes
    # Stored hashed: no code appears in the database.
    from lms.accounts.models import RecoveryCode

    stored = {row.code_hash for row in db.session.scalars(db.select(RecoveryCode))}
    assert not stored & set(codes)


def test_usernames_are_unique_ignoring_case(db, app, make_user):
    make_user(username="Samir")
    with app.test_request_context():
        try:
            services.register("samir", PASSWORD)
        except services.UsernameTaken:
            pass
        else:
            raise AssertionError("duplicate username accepted")
    assert db.session.scalar(db.select(db.func.count(User.id)).where(User.username_key == "samir")) == 1


def test_next_parameter_only_redirects_within_the_site(client, make_user):
    make_user(username="redirects")
    for target, expected in [
        ("/me/profile", "/me/profile"),
        ("https://evil.example/", "/me/"),
        ("//evil.example/", "/me/"),
        ("/\\evil.example", "/me/"),
        ("javascript:alert(1)", "/me/"),
    ]:
        client.post_form("/logout")
        token = client.csrf_token("/login")
        response = client.post(
            "/login",
            query_string={"next": target},
            data={"csrf_token": token, "username": "redirects", "password": PASSWORD},
        )
        assert response.status_code == 303
        assert response.headers["Location"] == expected, target
