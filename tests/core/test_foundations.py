"""The shared pieces every package uses: domain errors, role guards, pagination and search."""

import pytest
from flask import Blueprint, render_template_string

from config import TestConfig
from lms.accounts import permissions
from lms.accounts import services as account_services
from lms.accounts.models import Role, User
from lms.app import create_app
from lms.core import pagination
from lms.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from lms.core.forms import carry_out
from lms.extensions import db as _db
from tests.conftest import CSRF_RE, PASSWORD


class _Full(ConflictError):
    """A test domain error."""


class _Later(DomainError):
    """A test domain error that says when to try again."""

    status = 503
    retry_after = 300


def test_a_domain_error_carries_its_status_and_message():
    assert DomainError("x").status == 400
    assert NotFoundError().status == 404
    assert ForbiddenError("no").status == 403
    assert _Full("full").status == 409
    assert DomainError("gone", status=410).status == 410
    assert DomainError("gone").message == "gone"
    assert DomainError().message == ""


@pytest.fixture(scope="module")
def probe_app(app, tmp_path_factory):
    """An app of its own (the session's app must keep its routes) with routes that use the pieces."""
    folder = tmp_path_factory.mktemp("probe")
    probe = create_app(
        TestConfig, INSTANCE_PATH=str(folder), SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'probe.sqlite3'}"
    )
    bp = Blueprint("probe", __name__)

    @bp.route("/probe/full")
    def full():
        raise _Full("This session is full.")

    @bp.route("/probe/later")
    def later():
        raise _Later("The signing key is missing.")

    @bp.route("/probe/write-then-fail")
    def write_then_fail():
        _db.session.add(User(username="half-written", username_key="half-written"))
        _db.session.flush()
        raise ForbiddenError("Only trainers mark essays.")

    @bp.route("/probe/managers")
    @permissions.requires(permissions.MANAGERS)
    def managers_only():
        return "ok"

    @bp.route("/probe/users")
    def users():
        select = _db.select(User).order_by(User.id)
        text = pagination.search_text()
        if text:
            select = select.where(pagination.contains(User.username, text))
        page = pagination.paginate(select, per_page=2)
        return render_template_string(
            '{% from "_pager.html" import pager %}'
            "{% for u in page.items %}<li>{{ u.username }}</li>{% endfor %}{{ pager(page) }}",
            page=page,
        )

    probe.register_blueprint(bp)
    with probe.app_context():
        _db.create_all()
    yield probe
    with probe.app_context():
        _db.engine.dispose()


@pytest.fixture
def probe(probe_app):
    """A client of the probe app, and a factory of its users (committed; the app is this module's)."""
    counter = iter(range(10_000))

    def make(role=Role.LEARNER, username=None):
        with probe_app.app_context():
            user = account_services.register(username or f"probe{next(counter)}", PASSWORD, role=Role(role))
            user.has_pending_recovery_codes = False
            _db.session.commit()
            return user.id

    client = probe_app.test_client()
    client.make = make
    return client


def _login(client, username):
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    return client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})


def test_an_uncaught_domain_error_answers_its_status_with_its_message(probe):
    response = probe.get("/probe/full")
    assert response.status_code == 409
    assert "This session is full." in response.get_data(as_text=True)


def test_a_domain_error_says_when_to_try_again_only_if_it_knows(probe):
    later = probe.get("/probe/later")
    assert later.status_code == 503
    assert later.headers["Retry-After"] == "300"
    assert "The signing key is missing." in later.get_data(as_text=True)
    assert "Retry-After" not in probe.get("/probe/full").headers


def test_a_domain_error_rolls_back_what_was_written(probe, probe_app):
    response = probe.get("/probe/write-then-fail")
    assert response.status_code == 403
    assert "Only trainers mark essays." in response.get_data(as_text=True)
    with probe_app.app_context():
        assert _db.session.scalar(_db.select(User).where(User.username == "half-written")) is None


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.LEARNER, 403), (Role.TRAINER, 403), (Role.MANAGER, 200), (Role.ADMIN, 200)],
)
def test_the_role_guard_lets_only_the_named_set_through(probe, role, status):
    probe.make(role, username=f"someone-{role.value}")
    assert _login(probe, f"someone-{role.value}").status_code == 303
    assert probe.get("/probe/managers").status_code == status


def test_the_role_guard_sends_visitors_to_sign_in(probe):
    response = probe.get("/probe/managers")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_disabled_account_has_no_role(make_user):
    user = make_user(Role.MANAGER, username="disabled-manager")
    assert permissions.has_role(user, permissions.MANAGERS)
    user.is_disabled = True
    assert not permissions.has_role(user, permissions.MANAGERS)
    assert not permissions.has_role(None, permissions.EVERYONE)


def test_named_role_sets_say_who_marks_and_who_authors():
    assert Role.MANAGER in permissions.MARKERS
    assert Role.MANAGER not in permissions.TRAINERS
    assert {Role.ADMIN} == permissions.ADMINS
    assert Role.LEARNER not in permissions.STAFF


def test_pages_are_bounded_and_linked(probe):
    client = probe
    for n in range(5):
        probe.make(username=f"pager-{n}")
    first = client.get("/probe/users?q=pager-").get_data(as_text=True)
    assert first.count("<li>") == 2
    assert "Page 1 of 3" in first
    assert 'rel="next"' in first and "q=pager-" in first and 'rel="prev"' not in first
    last = client.get("/probe/users?q=pager-&page=3").get_data(as_text=True)
    assert last.count("<li>") == 1 and 'rel="prev"' in last and 'rel="next"' not in last
    for tampered in ("0", "-4", "abc", "99999999999999"):
        assert client.get(f"/probe/users?q=pager-&page={tampered}").status_code == 200


def test_search_takes_wildcards_literally(probe):
    client = probe
    probe.make(username="percent_one")
    probe.make(username="percentXone")
    body = client.get("/probe/users?q=percent_").get_data(as_text=True)
    assert "percent_one" in body and "percentXone" not in body
    assert client.get("/probe/users?q=%25").get_data(as_text=True).count("<li>") == 0


class _Form:
    """What carry_out needs of a form: its list of form-wide errors."""

    def __init__(self):
        self.form_errors = []


def test_a_correctable_refusal_is_shown_in_the_form_and_nothing_is_kept(app, db):
    form = _Form()

    def refuse():
        db.session.add(User(username="kept-by-mistake", username_key="kept-by-mistake"))
        db.session.flush()
        raise _Full("This session is full.")

    assert carry_out(form, refuse) is None
    assert form.form_errors == ["This session is full."]
    assert db.session.scalar(db.select(User).where(User.username == "kept-by-mistake")) is None
    done = carry_out(form, lambda: 42)
    assert done is not None and done.result == 42


@pytest.mark.parametrize("error", [ForbiddenError("no"), NotFoundError(), DomainError("later", status=503)])
def test_refusals_the_user_cannot_correct_go_to_the_error_page(app, db, error):
    form = _Form()

    def refuse():
        raise error

    with pytest.raises(type(error)):
        carry_out(form, refuse)
    assert form.form_errors == []
