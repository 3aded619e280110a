"""The demo programme of `make run`: only in development, through the real services, once."""

from pathlib import Path

import pytest

from lms.accounts.models import Membership, Organisation, User
from lms.certificates.models import Certificate
from lms.courses import services as course_services

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def test_demo_programme_is_refused_outside_development(app, runner):
    assert not app.config.get("DEMO_ACCOUNTS")
    result = runner.invoke(args=["demo", "programme"])
    assert result.exit_code != 0 and "development configuration" in result.output


def test_demo_programme_gives_the_manager_something_to_look_at(app, db, runner, client, auth):
    for slug in ("civil-society", "rights-mechanisms"):
        course_services.import_path(ROOT / "courses" / slug)
    app.config["DEMO_ACCOUNTS"] = True
    try:
        assert runner.invoke(args=["users", "demo"]).exit_code == 0
        result = runner.invoke(args=["demo", "programme", "--learners", "12"])
        assert result.exit_code == 0, result.output
        again = runner.invoke(args=["demo", "programme"])
        assert "already there" in again.output
    finally:
        app.config["DEMO_ACCOUNTS"] = False

    demo_orgs = db.session.scalars(db.select(Organisation).where(Organisation.name.like("Demo:%"))).all()
    assert len(demo_orgs) == 2
    learners = db.session.scalars(db.select(User).where(User.username.like("demo-l__"))).all()
    assert len(learners) == 12
    members = db.session.scalar(
        db.select(db.func.count(Membership.id)).where(
            Membership.organisation_id.in_([o.id for o in demo_orgs])
        )
    )
    assert members == 12
    issued = db.session.scalars(
        db.select(Certificate).where(Certificate.user_id.in_([u.id for u in learners]))
    ).all()
    assert issued, "learners who finished asked for a certificate and got it on completion"

    manager = db.session.scalar(db.select(User).where(User.username == "demo-manager"))
    manager.has_pending_recovery_codes = False
    db.session.commit()
    auth.login("demo-manager", "demo-manager-pass-2026")
    page = client.get("/reports/").get_data(as_text=True)
    assert "Demo: Beirut Rights Network" in page or "Demo: Tunis Civic Forum" in page
