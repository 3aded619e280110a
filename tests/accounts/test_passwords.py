"""Password hashing parameters, reset by e-mail, reset by recovery code."""

import re
from datetime import timedelta
from pathlib import Path

import pytest

from config import Config
from lms.accounts import services
from lms.accounts.models import PasswordResetToken
from lms.core.db import utcnow
from lms.extensions import jobs
from tests.conftest import PASSWORD


def test_production_argon2_parameters():
    assert (Config.ARGON2_MEMORY_KIB, Config.ARGON2_TIME_COST, Config.ARGON2_PARALLELISM) == (19456, 2, 1)


def test_hash_is_rehashed_when_parameters_change(app, db, make_user):
    user = make_user(username="rehash")
    assert "m=1024,t=1,p=1" in user.password_hash
    app.config.update(ARGON2_MEMORY_KIB=19456, ARGON2_TIME_COST=2)
    try:
        with app.test_request_context():
            assert services.authenticate("rehash", PASSWORD) is not None
        assert "$argon2id$" in user.password_hash and "m=19456,t=2,p=1" in user.password_hash
    finally:
        app.config.update(ARGON2_MEMORY_KIB=1024, ARGON2_TIME_COST=1)


def _mails(app):
    jobs.state(app).run_pending()  # mail is sent by the job worker, after the request
    return app.extensions["tamkeen-outbox"]


def _sent(response):
    # The server closes a response once it has sent it; the reset mail goes out then.
    response.close()
    return response


def test_reset_by_email_works_once(app, client, make_user, db):
    make_user(username="mailer", email="Mailer@Example.org")
    response = _sent(client.post_form("/forgot", {"email": "mailer@example.org"}, token_from="/forgot"))
    assert response.status_code == 303
    (message,) = _mails(app)
    link = re.search(r"http://\S+/reset/(\S+)", message["body"])
    token = link.group(1)
    # Stored hashed, 128 bits of randomness.
    assert (
        db.session.scalar(db.select(PasswordResetToken).where(PasswordResetToken.token_hash == token)) is None
    )
    assert len(token) >= 22
    new = "a fresh passphrase here"
    done = client.post_form(f"/reset/{token}", {"new_password": new}, token_from=f"/reset/{token}")
    assert done.status_code == 303
    with app.test_request_context():
        assert services.authenticate("mailer", new) is not None
    assert client.get(f"/reset/{token}").status_code == 404  # single use


def test_reset_answer_is_the_same_for_unknown_addresses(app, client, make_user):
    make_user(username="known-mail", email="known@example.org")
    token = client.csrf_token("/forgot")
    known = _sent(client.post("/forgot", data={"csrf_token": token, "email": "known@example.org"}))
    unknown = _sent(client.post("/forgot", data={"csrf_token": token, "email": "unknown@example.org"}))
    assert known.status_code == unknown.status_code == 303
    assert known.get_data() == unknown.get_data()
    assert len(_mails(app)) == 1


def test_reset_link_expires_after_60_minutes(app, client, make_user, db):
    make_user(username="expiring", email="exp@example.org")
    _sent(client.post_form("/forgot", {"email": "exp@example.org"}, token_from="/forgot"))
    token = re.search(r"/reset/(\S+)", _mails(app)[0]["body"]).group(1)
    row = db.session.scalar(db.select(PasswordResetToken))
    assert timedelta(minutes=59) < row.expires_at - row.created_at <= timedelta(minutes=60)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    assert client.get(f"/reset/{token}").status_code == 404


def test_recovery_code_resets_once(app, client, make_user, db):
    user = make_user(username="nomail")
    with app.test_request_context():
        codes = services.generate_recovery_codes(user)
    data = {"username": "nomail", "code": codes[0].upper(), "new_password": "recovered passphrase"}
    assert client.post_form("/recover", data, token_from="/recover").status_code == 303
    db.session.expire_all()
    with app.test_request_context():
        assert services.authenticate("nomail", "recovered passphrase") is not None
    again = client.post_form(
        "/recover", {**data, "new_password": "yet another phrase"}, token_from="/recover"
    )
    assert again.status_code == 200
    assert "do not match" in again.get_data(as_text=True)


def test_recovery_failure_looks_the_same_for_unknown_users(client, make_user):
    make_user(username="codeholder")
    token = client.csrf_token("/recover")
    base = {"csrf_token": token, "code": "aaaaa-bbbbb-ccccc", "new_password": "some long phrase"}
    known = client.post("/recover", data={**base, "username": "codeholder"})
    unknown = client.post("/recover", data={**base, "username": "ghost-user"})
    assert known.status_code == unknown.status_code == 200
    body_known = known.get_data(as_text=True).replace("codeholder", "X")
    body_unknown = unknown.get_data(as_text=True).replace("ghost-user", "X")
    assert body_known == body_unknown


def test_reset_mail_is_in_the_account_language_and_written_by_flask_mail(app, client, make_user):
    make_user(username="arabic-mail", email="ar@example.org", locale="ar")
    _sent(client.post_form("/forgot", {"email": "ar@example.org"}, token_from="/forgot"))
    (message,) = _mails(app)
    assert "تمكين" in message["subject"]
    app.config["MAIL_TRANSPORT"] = "file"
    try:
        _sent(client.post_form("/forgot", {"email": "ar@example.org"}, token_from="/forgot"))
        jobs.state(app).run_pending()
    finally:
        app.config["MAIL_TRANSPORT"] = "memory"
    text = (Path(app.instance_path) / "mail.log").read_text(encoding="utf-8")
    assert "To: ar@example.org" in text and "Content-Type: text/plain" in text


def test_the_bundled_list_has_100000_breached_passwords_and_names_its_source():
    import lms.accounts

    assert len(services.common_passwords()) >= 100_000
    readme = (Path(lms.accounts.__file__).parent / "common_passwords.md").read_text()
    assert "SecLists" in readme and "MIT" in readme


@pytest.mark.parametrize(
    "password",
    ["password123", "qwertyuiop", "ＱＷＥＲＴＹＵＩＯＰ", "Iloveyou12", "1q2w3e4r5t6y"],  # noqa: RUF001
)
def test_passwords_from_the_breach_list_are_refused(password):
    with pytest.raises(services.AccountError, match="too common"):
        services.check_password(password, username="someone")


@pytest.mark.parametrize(("password", "username"), [("zzzzzzzzzzzz", "amal"), ("Amal.Haddad", "amal.haddad")])
def test_one_repeated_character_or_the_username_is_refused(password, username):
    with pytest.raises(services.AccountError, match="too easy to guess"):
        services.check_password(password, username=username)


def test_a_long_uncommon_passphrase_passes():
    services.check_password("saffron kettle under the bridge", username="amal")


def test_the_policy_is_stated_on_every_form_that_sets_a_password(client, auth, make_user):
    policy = "not a password known from data breaches"
    assert policy in client.get("/register").get_data(as_text=True)
    assert policy in client.get("/recover").get_data(as_text=True)
    make_user(username="policy-reader")
    auth.login("policy-reader")
    assert policy in client.get("/me/password").get_data(as_text=True)


def _reset_tokens(app, client, email):
    before = len(_mails(app))
    _sent(client.post_form("/forgot", {"email": email}, token_from="/forgot"))
    return [re.search(r"/reset/(\S+)", m["body"]).group(1) for m in _mails(app)[before:]]


def test_a_reset_voids_every_other_reset_link_of_the_account(app, client, make_user):
    make_user(username="two-links", email="two@example.org")
    first = _reset_tokens(app, client, "two@example.org")
    second = _reset_tokens(app, client, "two@example.org")
    assert len(first) == len(second) == 1
    done = client.post_form(
        f"/reset/{second[0]}", {"new_password": "a fresh passphrase here"}, token_from=f"/reset/{second[0]}"
    )
    assert done.status_code == 303
    assert client.get(f"/reset/{first[0]}").status_code == 404


def test_a_password_change_voids_outstanding_reset_links(app, client, auth, make_user):
    make_user(username="changer", email="changer@example.org")
    (token,) = _reset_tokens(app, client, "changer@example.org")
    auth.login("changer")
    changed = client.post_form(
        "/me/password",
        {"current_password": PASSWORD, "new_password": "another fine passphrase"},
        token_from="/me/password",
    )
    assert changed.status_code == 303
    assert client.get(f"/reset/{token}").status_code == 404
