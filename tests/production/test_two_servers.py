"""Two app servers on one PostgreSQL database hold no state of their own.

Two gunicorn instances on different ports, each with two worker processes, share one database and
one memcached: a sign-in on one is valid on the other, a sign-out on one revokes the session on
both (even for someone who kept the old cookie), and rate-limit counts add up across servers.
"""

import pytest

from tests.production.conftest import Site
from tests.production.harness import Browser, Memcached
from tests.production.marks import production

pytestmark = production


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Two gunicorn servers (two workers each) on one fresh database, sharing one memcached."""
    site = Site(tmp_path_factory.mktemp("two-servers"), learners=2)
    try:
        with Memcached() as memcached:
            env = site.env(RATELIMIT_STORAGE_URI=memcached.uri, LIMIT_SIGNIN_PER_ACCOUNT="4 per 10 minutes")
            yield site.server(env), site.server(env)
    finally:
        site.close()


def test_a_session_started_on_one_server_is_valid_on_the_other_and_a_sign_out_revokes_it_on_both(servers):
    first, second = servers
    browser = Browser(first.url)

    signed_in = browser.sign_in("load-001")
    assert signed_in.status == 303 and signed_in.location == "/me/"
    for server in (first, second, first, second):  # several requests: both workers of each server
        browser.use(server.url)
        page = browser.get("/me/")
        assert page.status == 200, server.url
        assert "load-001" in page.text
    stolen = dict(browser.cookies)  # a copy of the cookie, as someone who took it would keep it

    browser.use(second.url)
    assert browser.sign_out().status == 303
    for server in (first, second, first, second):
        thief = Browser(server.url)
        thief.cookies = dict(stolen)
        page = thief.get("/me/")
        assert page.status == 302 and page.location.startswith("/login"), server.url


def test_rate_limit_counts_are_shared_by_the_servers(servers):
    first, second = servers

    answers = []
    for server in (first, second, first, second, first):  # two workers each: five processes in all
        answers.append(Browser(server.url).sign_in("load-002", password="not the password").status)
    assert answers[:4] == [200, 200, 200, 200]  # the form again, with "not right"
    assert answers[4] == 429

    # The account is limited on every server, the right password included.
    for server in (first, second):
        refused = Browser(server.url).sign_in("load-002")
        assert refused.status == 429
        assert int(refused.headers["retry-after"]) > 0


def test_each_server_reaches_the_shared_database(servers):
    for server in servers:
        reply = Browser(server.url).get("/healthz")
        assert reply.status == 200
        assert b'"database":"ok"' in reply.body.replace(b" ", b"")
