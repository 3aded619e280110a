"""One canonical account key for sign-in, its rate limit, recovery codes and resets; look-alikes refused."""

import pytest

from config import TestConfig
from lms.accounts import services
from lms.accounts.confusables import skeleton
from lms.core.security import canonical_key
from tests.conftest import PASSWORD, sent_mail

FULL_WIDTH_TARGET = "ｔａｒｇｅｔ"  # noqa: RUF001 - the point of the test


def _attempt(client, token, username, addr):
    return client.post(
        "/login",
        data={"csrf_token": token, "username": username, "password": "wrong password!"},
        environ_base={"REMOTE_ADDR": addr},
    )


def test_the_key_is_nfkc_casefolded_and_trimmed():
    assert canonical_key(f"  {FULL_WIDTH_TARGET.upper()} ") == "target"
    assert services.username_key(FULL_WIDTH_TARGET) == canonical_key("Target")


def test_a_full_width_spelling_of_a_locked_account_is_locked_too(app, client, make_user):
    make_user(username="target")
    app.config["LIMIT_SIGNIN_PER_ACCOUNT"] = "3 per minute"
    try:
        token = client.csrf_token("/login")
        statuses = [_attempt(client, token, "target", f"10.0.2.{i}").status_code for i in range(3)]
        assert statuses == [200, 200, 200]
        # Sign-in would find the account under this spelling: so must the limiter.
        assert services.find_user(FULL_WIDTH_TARGET).username == "target"
        locked = client.post(
            "/login",
            data={"csrf_token": token, "username": FULL_WIDTH_TARGET, "password": PASSWORD},
            environ_base={"REMOTE_ADDR": "10.0.2.9"},
        )
        assert locked.status_code == 429
    finally:
        app.config["LIMIT_SIGNIN_PER_ACCOUNT"] = TestConfig.LIMIT_SIGNIN_PER_ACCOUNT


def test_resets_find_an_address_typed_in_full_width(app, client, make_user):
    make_user(username="mailer", email="amal@example.org")
    services.request_password_reset("ａｍａｌ@example.org")  # noqa: RUF001
    assert [m["to"] for m in sent_mail(app)] == ["amal@example.org"]


@pytest.mark.parametrize(
    "look_alike",
    ["pаypal", "PayPaI", "paypa1", "ｐａｙｐａｌ"],  # noqa: RUF001 - Cyrillic a, capital I, digit 1, full width
)
def test_usernames_confusable_with_an_existing_one_are_refused(make_user, look_alike):
    make_user(username="paypal")
    with pytest.raises(services.UsernameTaken):
        services.register(look_alike, "a long enough passphrase 7")


def test_distinct_names_are_not_confusable(make_user):
    make_user(username="sara")
    assert services.register("fara", "a long enough passphrase 7").username_skeleton == skeleton("fara")
    assert skeleton("ayse") != skeleton("ayşe") and skeleton("amal") != skeleton("amel")


def test_sign_up_treats_a_look_alike_as_a_taken_name(client, make_user, db):
    make_user(username="moderator")
    response = client.post_form(
        "/register",
        {
            "username": "rnoderator",
            "password": "a long enough passphrase 7",
            "confirm": "a long enough passphrase 7",
        },
        token_from="/register",
    )
    # The answer for a taken name, which never says so (nobody can probe who is here).
    assert response.status_code == 303
    assert services.find_user("rnoderator") is None
