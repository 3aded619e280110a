"""Discreet mode and the quick exit, both without JavaScript."""

import re


def _title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), flags=re.S).group(1)


def test_every_page_has_a_quick_exit(client):
    for path in ["/", "/login", "/register", "/courses/", "/no-such-page"]:
        body = client.get(path).get_data(as_text=True)
        assert 'action="/exit"' in body, path


def test_quick_exit_ends_the_session_and_wipes_the_site(client, auth, make_user):
    make_user(username="leaver")
    auth.login("leaver")
    stolen = client.get_cookie("tamkeen_session").value
    response = client.post_form("/exit")
    assert response.status_code == 303 and response.headers["Location"] == "/notes"
    assert '"cache"' in response.headers["Clear-Site-Data"]
    assert client.get_cookie("tamkeen_session") is None or not client.get_cookie("tamkeen_session").value
    neutral = client.get("/notes")
    assert _title(neutral) != "" and "Tamkeen" not in neutral.get_data(as_text=True)
    client.delete_cookie("nv")  # the decoy period over,
    client.set_cookie("tamkeen_session", stolen)
    assert client.get("/me/").status_code == 302  # the old cookie is revoked server-side


def test_discreet_mode_without_an_account(client):
    assert "Tamkeen" in _title(client.get("/courses/"))
    client.post_form("/discreet", {"discreet": "1", "next": "/courses/"})
    assert _title(client.get("/courses/")) == "Notes"
    client.post_form("/discreet", {"discreet": "0", "next": "/"})
    assert "Tamkeen" in _title(client.get("/courses/"))


def test_discreet_mode_from_the_profile(client, auth, make_user, db):
    user = make_user(username="discreet-user")
    auth.login("discreet-user")
    client.post_form(
        "/me/profile", {"display_name": "", "locale": "", "is_discreet": "y"}, token_from="/me/profile"
    )
    db.session.refresh(user)
    assert user.is_discreet
    assert _title(client.get("/me/")) == "Notes"
