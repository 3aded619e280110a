"""Locale selection and the language switcher."""

import re

import pytest

from tests.conftest import ARABIC, ARABIC_LETTERS
from tests.core.scripts import assert_only_the_exit_script


def _html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.get_data(as_text=True)).group(0)


def test_default_is_english_left_to_right(client):
    assert _html_tag(client.get("/")) == '<html lang="en" dir="ltr">'


def test_accept_language_arabic_gives_right_to_left(client):
    response = client.get("/", headers={"Accept-Language": "ar-LB,ar;q=0.9,en;q=0.5"})
    assert _html_tag(response) == '<html lang="ar" dir="rtl">'


def test_switcher_works_without_an_account_and_beats_accept_language(client):
    token = client.csrf_token("/")
    response = client.post("/language", data={"csrf_token": token, "lang": "tr", "next": "/login"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    page = client.get("/", headers={"Accept-Language": "ar"})
    assert _html_tag(page) == '<html lang="tr" dir="ltr">'


def test_switcher_refuses_foreign_redirects_and_unknown_languages(client):
    token = client.csrf_token("/")
    response = client.post(
        "/language", data={"csrf_token": token, "lang": "xx", "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"
    assert client.get_cookie("tamkeen_lang") is None


def test_user_preference_beats_the_cookie(client, auth, make_user):
    make_user(username="pref", locale="fr")
    client.set_cookie("tamkeen_lang", "es")
    auth.login("pref")
    assert _html_tag(client.get("/")) == '<html lang="fr" dir="ltr">'


def test_switching_while_signed_in_updates_the_preference(client, auth, make_user, db):
    user = make_user(username="switcher", locale="en")
    auth.login("switcher")
    client.post_form("/language", {"lang": "ar", "next": "/me/"})
    db.session.refresh(user)
    assert user.locale == "ar"
    assert _html_tag(client.get("/me/")) == '<html lang="ar" dir="rtl">'


def test_switcher_is_on_every_page_and_needs_no_javascript(client):
    for path in ["/", "/login", "/register", "/forgot", "/recover", "/no-such-page"]:
        body = client.get(path).get_data(as_text=True)
        form = re.search(r'<form method="post" action="/language".*?</form>', body, flags=re.S)
        assert form, path
        assert all(f'value="{code}"' in form.group(0) for code in ["en", "ar", "fr", "es", "tr"])
        assert_only_the_exit_script(body)


def test_arabic_home_page_is_translated(client):
    body = client.get("/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "تمكين" in body


def test_the_tests_arabic_catalog_is_compiled_arabic_and_refuses_english(app):
    # tests.conftest.ARABIC reads the catalog the session compiled (the app fixture), never one
    # loaded at import time: a test comparing a page with it compares Arabic with Arabic.
    text = ARABIC.gettext("Prefer not to say")
    assert text != "Prefer not to say" and ARABIC_LETTERS.search(text)
    with pytest.raises(AssertionError, match="not translated"):
        ARABIC.gettext("A sentence that no catalog translates")
