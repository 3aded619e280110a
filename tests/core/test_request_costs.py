"""Work saved on every request: the cookie re-sent once a minute, no ping, few queries (cold and warm)."""

import pytest
import sqlalchemy as sa

from lms.accounts.models import Organisation
from lms.core import sessions
from lms.core.caches import caches
from lms.core.engine import configure_engine_events, end_read_only_transaction
from lms.courses import services as course_services
from lms.extensions import db as _db
from tests.conftest import cold_caches
from tests.core.postgres_support import terminate_backend
from tests.courses.course_builder import write_course
from tests.courses.test_learner_path import count_queries


def _sets_cookie(response) -> bool:
    return any(h.startswith("tamkeen_session=") for h in response.headers.getlist("Set-Cookie"))


def test_an_unchanged_session_is_re_sent_at_most_once_a_minute(client, auth, make_user, monkeypatch):
    make_user(username="cookie-refresh")
    assert _sets_cookie(auth.login("cookie-refresh"))
    client.get("/me/")  # shows (and so removes) the sign-in message: a change
    assert not _sets_cookie(client.get("/me/"))
    now = sessions.time.time()
    monkeypatch.setattr(sessions.time, "time", lambda: now + sessions.REFRESH_SECONDS + 1)
    refreshed = client.get("/me/")
    assert refreshed.status_code == 200 and _sets_cookie(refreshed)


def test_a_changed_session_is_sent_at_once(client):
    assert _sets_cookie(client.get("/"))  # the CSRF secret goes into a new session
    assert not _sets_cookie(client.get("/"))


def test_a_read_only_transaction_is_committed(app, db):
    with app.app_context():
        session = db.session()
        session.execute(sa.select(sa.literal(1)))
        assert session.in_transaction()
        end_read_only_transaction(session)
        assert not session.in_transaction()


def test_a_transaction_that_wrote_is_left_for_the_rollback(app, db):
    with app.app_context():
        session = db.session()
        session.add(Organisation(name="Left uncommitted", country="LB"))
        session.flush()
        end_read_only_transaction(session)
        assert session.in_transaction()
        session.rollback()
        assert session.scalar(sa.select(Organisation).where(Organisation.name == "Left uncommitted")) is None


def test_a_core_write_is_noticed_too(app, db):
    with app.app_context():
        session = db.session()
        session.execute(sa.insert(Organisation).values(name="Core write", country="LB"))
        end_read_only_transaction(session)
        assert session.in_transaction()
        session.rollback()


def test_postgresql_connections_plan_without_jit(db):
    # JIT compilation cost seconds on report queries over every learner (and the bare baseline
    # of bench/exports.py runs on the same engine, so it is planned alike).
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    assert db.session.scalar(sa.text("SHOW jit")) == "off"


def _postgresql_engine(app):
    with app.app_context():
        engine = _db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    return engine


def _status(connection: sa.Connection) -> str:
    return connection.connection.dbapi_connection.info.transaction_status.name


def test_writes_after_reads_are_still_one_transaction(app):
    engine = _postgresql_engine(app)
    with engine.connect() as connection:
        connection.execute(sa.select(Organisation.id).limit(1))
        connection.execute(sa.insert(Organisation).values(name="First of two", country="LB"))
        with pytest.raises(sa.exc.IntegrityError):
            connection.execute(sa.insert(Organisation).values(name=None, country="LB"))
        connection.rollback()
        assert connection.scalar(sa.select(sa.func.count()).where(Organisation.name == "First of two")) == 0


def test_locking_reads_and_server_side_cursors_run_in_a_transaction(app):
    engine = _postgresql_engine(app)
    with engine.connect() as connection:
        connection.execute(sa.select(Organisation.id).with_for_update())
        assert _status(connection) == "INTRANS"  # the row locks are held until the end
        connection.rollback()
        result = connection.execution_options(stream_results=True).execute(
            sa.select(sa.func.generate_series(1, 5))
        )
        assert [row[0] for row in result] == [1, 2, 3, 4, 5]  # DECLARE needs a transaction
        connection.rollback()


def test_a_pooled_connection_is_checked_without_a_round_trip_and_replaced_when_its_server_left(
    app, monkeypatch
):
    _postgresql_engine(app)
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1, max_overflow=0)
    configure_engine_events(engine)  # as the app's engine: one pooled connection, checked the same way
    pings = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or ping(c))
    with engine.connect() as connection:
        first = connection.scalar(sa.text("SELECT pg_backend_pid()"))
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT pg_backend_pid()")) == first
    assert pings == []  # a healthy pooled connection is not pinged
    terminate_backend(engine.url, first)
    with engine.connect() as connection:  # the pool hands out the dead connection's record first
        assert connection.scalar(sa.text("SELECT pg_backend_pid()")) != first
    assert len(pings) >= 1
    engine.dispose()


def test_a_write_after_the_server_left_fails_as_sqlalchemys_error(app):
    # The failure must reach the app as SQLAlchemy's OperationalError (a 503 page), with the
    # connection invalidated.
    _postgresql_engine(app)
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1, max_overflow=0)
    configure_engine_events(engine)
    with engine.connect() as connection:
        pid = connection.scalar(sa.text("SELECT pg_backend_pid()"))
        terminate_backend(engine.url, pid)
        with pytest.raises(sa.exc.OperationalError) as raised:
            connection.execute(sa.update(Organisation).values(country="LB").where(Organisation.id == -1))
        assert raised.value.connection_invalidated
    engine.dispose()


# Query counts on cold caches too: a page's data read once per process (outlines, chrome) would hide
# an N+1 from a count taken only on warm caches.

PAGES = ["/courses/", "/courses/{slug}/", "/courses/{slug}/module-1/m1-lesson-2", "/me/"]


@pytest.fixture
def learner(make_user, auth):
    user = make_user(username="cold-learner")
    auth.login("cold-learner")
    return user


def _course_read(client, tmp_path, slug: str, lessons: int) -> None:
    """Import a course of two modules of `lessons` lessons; the learner enrols and does module 1."""
    course_services.import_path(write_course(tmp_path / slug, slug=slug, lessons_per_module=lessons))
    client.post_form(f"/courses/{slug}/enroll", token_from=f"/courses/{slug}/")
    for n in range(1, lessons + 1):
        path = f"/courses/{slug}/module-1/m1-lesson-{n}"
        client.post_form(f"{path}/done", token_from=path)


def _count(client, url: str) -> int:
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_the_caches_emptied_for_cold_counts_are_the_ones_pages_fill(app, client, db, learner, tmp_path):
    _course_read(client, tmp_path, "cold-fill", 2)
    cold_caches(app)
    assert client.get("/courses/cold-fill/module-1/m1-lesson-1").status_code == 200
    kept = caches(app)
    assert "cold-fill" in kept.outlines, "the lesson page no longer caches the course outline there"
    assert kept.chrome, "the page no longer caches its header and footer there"


@pytest.mark.parametrize("path", PAGES)
def test_query_counts_do_not_grow_with_the_course_on_cold_caches_either(
    app, client, db, learner, tmp_path, path
):
    counts = {}
    for lessons in (2, 25):  # 2 modules x 2 = 4 lessons vs 2 x 25 = 50
        slug = f"cold-{lessons}"
        _course_read(client, tmp_path, slug, lessons)
        url = path.format(slug=slug)
        client.get(url)
        cold_caches(app)
        counts[lessons, "cold"] = _count(client, url)
        counts[lessons, "warm"] = _count(client, url)
    assert counts[2, "cold"] == counts[25, "cold"], counts
    assert counts[2, "warm"] == counts[25, "warm"], counts


def test_a_signed_in_lesson_page_reads_a_fixed_few_times_on_cold_caches(app, client, db, learner, tmp_path):
    _course_read(client, tmp_path, "cold-lesson", 2)
    lesson = "/courses/cold-lesson/module-1/m1-lesson-1"
    client.get(lesson)  # remembered as the last lesson read: the counted reads write nothing
    cold_caches(app)
    # Session and user; the course's version with the learner's progress; then, once per process,
    # the outline (course, modules with lessons, image sizes) and the lesson's text.
    assert _count(client, lesson) == 6
    assert _count(client, lesson) == 2  # warm: session and user, the course with progress


def test_the_reports_dashboard_needs_as_many_queries_for_many_learners_on_cold_caches(
    app, client, db, auth, make_user, tmp_path
):
    make_user(role="admin", username="cold-admin")
    auth.login("cold-admin")
    course_services.import_path(write_course(tmp_path / "cold-report", slug="cold-report"))
    course = course_services.get_course("cold-report")
    counts = []
    for learners in (1, 25):
        for _ in range(learners):
            course_services.enroll(make_user(), course)
        db.session.flush()
        cold_caches(app)
        counts.append(_count(client, "/reports/"))
        counts.append(_count(client, "/reports/"))  # warm
    assert counts[0] == counts[2] and counts[1] == counts[3], counts
