"""The page chrome is rendered once per kind of visitor and filled in per request, invisibly."""

import re

import jinja2.meta
import pytest

from lms.core import chrome
from lms.core.caches import caches

CSRF = re.compile(r'name="csrf_token" value="[^"]+"')


def _normalised(html: str) -> str:
    return CSRF.sub('name="csrf_token" value="-"', html)


class _NeverKept(dict):
    def __setitem__(self, key, value):
        pass  # every page renders its chrome afresh


@pytest.mark.parametrize("part", ["header", "footer"])
def test_chrome_templates_use_only_what_the_cache_key_holds(app, part):
    source = app.jinja_loader.get_source(app.jinja_env, f"chrome/{part}.html")[0]
    used = jinja2.meta.find_undeclared_variables(app.jinja_env.parse(source))
    allowed = set(chrome.CONTEXT) | {"csrf_token", "current_path"} | set(app.jinja_env.globals)
    assert used <= allowed, used - allowed


@pytest.mark.parametrize(
    ("role", "locale", "path"),
    [(None, "en", "/"), ("learner", "ar", "/courses/"), ("admin", "fr", "/me/"), ("manager", "tr", "/")],
)
def test_cached_chrome_is_the_chrome_rendered_afresh(app, client, auth, make_user, role, locale, path):
    if role:
        make_user(role=role, username=f"chrome-{role}", locale=locale)
        auth.login(f"chrome-{role}")
    else:
        client.set_cookie("tamkeen_lang", locale)
    client.get(path)  # the sign-in message, if any, is shown and gone
    caches(app).chrome = _NeverKept()
    fresh = client.get(path).get_data(as_text=True)
    caches(app).chrome = {}
    client.get(path)
    cached = client.get(path).get_data(as_text=True)
    assert caches(app).chrome, "the chrome was not cached"
    assert _normalised(cached) == _normalised(fresh)
    assert f'lang="{locale}"' in cached


def test_each_role_gets_its_own_chrome(client, auth, make_user):
    make_user(role="admin", username="chrome-admin")
    make_user(role="learner", username="chrome-learner")
    auth.login("chrome-admin")
    assert 'href="/admin/users"' in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login("chrome-learner")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/admin/users"' not in page and 'href="/me/"' in page
    auth.logout()
    page = client.get("/").get_data(as_text=True)
    assert 'href="/me/"' not in page and 'href="/login"' in page


def test_each_page_gets_its_own_token_and_path_escaped(client):
    page = client.get('/courses/?topic="><script>alert(1)</script>').get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert (
        page.count('name="next" value="/courses/?topic=&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"') == 2
    )
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
    assert len(tokens) == 1 and "tamkeen-chrome" not in page
    other = client.get("/").get_data(as_text=True)
    assert 'name="next" value="/"' in other


def test_a_token_from_the_cached_chrome_is_accepted(client):
    client.get("/")
    page = client.get("/courses/").get_data(as_text=True)  # chrome from the cache
    token = re.search(
        r'class="language-switcher">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page
    )
    response = client.post(
        "/language", data={"csrf_token": token.group(1), "lang": "ar", "next": "/courses/"}
    )
    assert response.status_code == 303
    assert 'lang="ar"' in client.get("/courses/").get_data(as_text=True)
