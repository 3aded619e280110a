"""A learner can download and erase their data; IP addresses stay out of the logs."""

import json
import logging

from lms.accounts import services
from lms.accounts.models import User
from lms.core.logging import DropAddresses, configure_logging
from lms.records import services as records
from lms.records.models import Statement
from tests.conftest import PASSWORD


def test_download_contains_the_learners_data(client, auth, make_user, make_organisation, app, db):
    user = make_user(username="downloader", display_name="نور", email="noor@example.org")
    services.join_organisation(user, make_organisation(name="Coalition X", country="JO"))
    with app.test_request_context():
        records.record(user.public_id, "completed", "https://tamkeen.example/courses/demo")
    auth.login("downloader")
    response = client.get("/me/data.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["username"] == "downloader"
    assert data["account"]["display_name"] == "نور"
    assert data["organisations"] == [
        {"name": "Coalition X", "country": "JO", "since": data["organisations"][0]["since"]}
    ]
    assert len(data["learning_records"]) == 1
    assert len(data["sessions"]) == 1


def test_erase_removes_identity_and_keeps_pseudonymous_records(client, auth, make_user, app, db):
    user = make_user(username="eraseme", display_name="Real Name", email="real@example.org")
    public_id = user.public_id
    with app.test_request_context():
        records.record(public_id, "completed", "https://tamkeen.example/courses/demo")
    auth.login("eraseme")
    stolen = client.get_cookie("tamkeen_session").value
    wrong = client.post_form(
        "/me/erase", {"password": "not my password", "confirm": "y"}, token_from="/me/erase"
    )
    assert wrong.status_code == 200
    response = client.post_form("/me/erase", {"password": PASSWORD, "confirm": "y"}, token_from="/me/erase")
    assert response.status_code == 303
    db.session.expire_all()
    erased = db.session.get(User, user.id)
    assert erased.is_erased and erased.username.startswith("erased-")
    assert erased.display_name == "" and erased.email is None and erased.password_hash is None
    assert services.find_user("eraseme") is None
    assert db.session.scalars(db.select(Statement).where(Statement.actor_id == public_id)).all() == []
    assert erased.public_id != public_id  # a new pseudonym: nothing exported before matches
    statements = db.session.scalars(db.select(Statement).where(Statement.actor_id == erased.public_id)).all()
    assert len(statements) == 1
    assert statements[0].body["actor"]["account"]["name"] == erased.public_id
    assert "eraseme" not in json.dumps(statements[0].body) and "Real Name" not in json.dumps(
        statements[0].body
    )
    client.set_cookie("tamkeen_session", stolen)
    assert client.get("/me/").status_code == 302
    assert auth.login("eraseme").status_code == 200  # cannot sign in any more


def test_statements_identify_learners_by_opaque_id_only(app, db, make_user):
    user = make_user(username="xapi", email="xapi@example.org")
    with app.test_request_context():
        statement = records.record(user.public_id, "passed", "https://tamkeen.example/q/1")
    actor = statement.body["actor"]
    assert actor["account"]["name"] == user.public_id
    assert "mbox" not in actor and "xapi" not in json.dumps(actor)


def _log_line(message: str) -> str:
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, message, None, None)
    for f in logging.getLogger("werkzeug").filters:
        f.filter(record)
    return record.getMessage()


def test_ip_addresses_are_not_logged_by_default(app):
    configure_logging(False)
    line = _log_line('203.0.113.7 - - [22/Nov/2026 05:30:45] "GET / HTTP/1.1" 200 -')
    assert "203.0.113.7" not in line and "05:30:45" in line
    assert "2001:db8::1" not in _log_line('2001:db8::1 - - "GET / HTTP/1.1" 200')


def test_ip_addresses_are_logged_when_enabled(app):
    try:
        configure_logging(True)
        assert not any(isinstance(f, DropAddresses) for f in logging.getLogger("werkzeug").filters)
        assert "203.0.113.7" in _log_line("203.0.113.7 - - GET /")
    finally:
        configure_logging(False)


def test_erasure_unlinks_the_learner_from_everything_before(
    client, auth, make_user, make_organisation, app, db
):
    from lms.accounts.models import Membership, PasswordResetToken, RecoveryCode, UserSession
    from lms.reports.models import Cohort, CohortMember

    user = make_user(username="unlinked", email="unlinked@example.org")
    services.join_organisation(user, make_organisation(name="Coalition Y", country="TN"))
    cohort = Cohort(name="Spring cohort")
    db.session.add(cohort)
    db.session.flush()
    db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, source="code"))
    services.generate_recovery_codes(user)
    with app.test_request_context():
        records.record(user.public_id, "completed", "https://tamkeen.example/courses/demo")
        services.request_password_reset("unlinked@example.org")
    other = make_user(username="bystander")
    services.start_session(other)
    auth.login("unlinked")
    before = json.loads(client.get("/me/data.json").get_data(as_text=True))
    old_id = before["account"]["pseudonymous_id"]
    assert before["learning_records"][0]["actor"]["account"]["name"] == old_id
    assert "kept" in before["on_erasure"] and "deleted" in before["on_erasure"]
    assert "new random number" in before["on_erasure"]["kept"]
    response = client.post_form("/me/erase", {"password": PASSWORD, "confirm": "y"}, token_from="/me/erase")
    assert response.status_code == 303
    db.session.expire_all()
    erased = db.session.get(User, user.id)
    assert erased.public_id != old_id and len(erased.public_id) == 36
    rows = records.statements_for(erased.public_id)
    assert len(rows) == 1 and old_id not in json.dumps(rows)
    assert records.statements_for(old_id) == []
    for model in (Membership, CohortMember, UserSession, PasswordResetToken, RecoveryCode):
        count = db.session.scalar(
            db.select(db.func.count()).select_from(model).where(model.user_id == user.id)
        )
        assert count == 0, model.__name__
    assert len(services.list_sessions(other)) == 1  # nobody else's session is touched
