"""Rate limits on sign-in, sign-up and password change: 429 with Retry-After, no lockout."""

import time

from config import TestConfig
from lms.app import create_app


def _attempt(client, token, username="target", addr="10.0.0.1", **headers):
    return client.post(
        "/login",
        data={"csrf_token": token, "username": username, "password": "wrong password!"},
        environ_base={"REMOTE_ADDR": addr},
        headers=headers,
    )


def test_signin_is_limited_per_client_with_retry_after(app, client, db):
    app.config["LIMIT_SIGNIN_PER_CLIENT"] = "3 per minute"
    try:
        token = client.csrf_token("/login")
        statuses = [_attempt(client, token, username=f"user{i}").status_code for i in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = _attempt(client, token, username="another")
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) > 0
        # Another client is not affected.
        assert _attempt(client, token, username="user9", addr="10.0.0.2").status_code == 200
    finally:
        app.config["LIMIT_SIGNIN_PER_CLIENT"] = TestConfig.LIMIT_SIGNIN_PER_CLIENT


def test_signin_is_limited_per_account_across_clients(app, client, db):
    app.config["LIMIT_SIGNIN_PER_ACCOUNT"] = "3 per minute"
    try:
        token = client.csrf_token("/login")
        statuses = [
            _attempt(client, token, username="Target", addr=f"10.0.1.{i}").status_code for i in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        # Other accounts can still sign in from those addresses.
        assert _attempt(client, token, username="someone-else", addr="10.0.1.1").status_code == 200
    finally:
        app.config["LIMIT_SIGNIN_PER_ACCOUNT"] = TestConfig.LIMIT_SIGNIN_PER_ACCOUNT


def test_limits_expire_so_nobody_is_locked_out(app, client, db):
    app.config["LIMIT_SIGNIN_PER_ACCOUNT"] = "2 per 1 second"
    try:
        token = client.csrf_token("/login")
        assert [_attempt(client, token).status_code for _ in range(3)] == [200, 200, 429]
        time.sleep(1.2)
        assert _attempt(client, token).status_code == 200
    finally:
        app.config["LIMIT_SIGNIN_PER_ACCOUNT"] = TestConfig.LIMIT_SIGNIN_PER_ACCOUNT


def test_signup_and_password_change_are_limited(app, client, auth, make_user):
    app.config["LIMIT_SIGNUP_PER_CLIENT"] = "2 per minute"
    app.config["LIMIT_PASSWORD_PER_ACCOUNT"] = "2 per minute"
    try:
        token = client.csrf_token("/register")
        codes = [
            client.post(
                "/register", data={"csrf_token": token, "username": f"n{i}", "password": "x"}
            ).status_code
            for i in range(3)
        ]
        assert codes == [200, 200, 429]
        make_user(username="pwlimit")
        auth.login("pwlimit")
        token = client.csrf_token("/me/password")
        codes = [
            client.post(
                "/me/password",
                data={
                    "csrf_token": token,
                    "current_password": "wrong one!",
                    "new_password": "whatever passphrase",
                },
            ).status_code
            for _ in range(3)
        ]
        assert codes == [200, 200, 429]
    finally:
        app.config["LIMIT_SIGNUP_PER_CLIENT"] = TestConfig.LIMIT_SIGNUP_PER_CLIENT
        app.config["LIMIT_PASSWORD_PER_ACCOUNT"] = TestConfig.LIMIT_PASSWORD_PER_ACCOUNT


def _proxy_app(tmp_path, proxy_count):
    # No database is touched: an empty sign-in form fails validation before any query.
    return create_app(
        TestConfig,
        INSTANCE_PATH=str(tmp_path),
        PROXY_COUNT=proxy_count,
        WTF_CSRF_ENABLED=False,
        LIMIT_SIGNIN_PER_CLIENT="2 per minute",
    )


def test_forwarded_for_is_ignored_without_a_configured_proxy(tmp_path):
    client = _proxy_app(tmp_path, 0).test_client()
    codes = [
        client.post("/login", data={}, headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 429]  # spoofed addresses did not give fresh budgets


def test_forwarded_for_is_trusted_behind_a_configured_proxy(tmp_path):
    client = _proxy_app(tmp_path, 1).test_client()
    codes = [
        client.post("/login", data={}, headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 200]
