"""Demographics are the learner's choice; the audit trail is for admins."""

import sqlalchemy as sa

from lms.reports import services
from lms.reports.completions import iter_completions
from lms.reports.filters import PROGRAMME, ReportFilter
from lms.reports.models import LearnerDemographics
from tests.conftest import ARABIC, PASSWORD

# Alice reads Arabic: pages come in her language.
AR = ARABIC


def answers(db, user):
    return db.session.scalar(sa.select(LearnerDemographics).where(LearnerDemographics.user_id == user.id))


def test_a_learner_answers_changes_and_deletes_their_demographics(client, auth, programme, db):
    auth.login("alice")
    page = client.get("/me/demographics").get_data(as_text=True)
    assert AR.gettext("Prefer not to say") in page
    assert (
        client.post_form(
            "/me/demographics",
            {"gender": "female", "age_band": "25_34", "is_shared": "y"},
            token_from="/me/demographics",
        ).status_code
        == 303
    )
    row = answers(db, programme.alice)
    assert (row.gender, row.age_band, row.is_shared) == ("female", "25_34", True)
    record = next(r for r in iter_completions(PROGRAMME, ReportFilter()) if r.display_name == "Alice")
    assert (record.gender, record.age_band) == ("female", "25_34")
    # Keep the answers but stop sharing them.
    client.post_form(
        "/me/demographics", {"gender": "female", "age_band": "25_34"}, token_from="/me/demographics"
    )
    record = next(r for r in iter_completions(PROGRAMME, ReportFilter()) if r.display_name == "Alice")
    assert (record.gender, record.age_band) == (None, None)
    # Nothing chosen: nothing kept.
    client.post_form("/me/demographics", {"gender": "", "age_band": ""}, token_from="/me/demographics")
    assert answers(db, programme.alice) is None


def test_the_profile_page_links_to_the_optional_questions(client, auth, programme):
    auth.login("alice")
    page = client.get("/me/profile").get_data(as_text=True)
    assert 'href="/me/demographics"' in page
    assert AR.gettext("About you (optional)") in page


def test_answers_not_offered_are_refused(client, auth, programme, db):
    auth.login("alice")
    response = client.post_form(
        "/me/demographics", {"gender": "robot", "age_band": "18-24"}, token_from="/me/demographics"
    )
    assert response.status_code == 200
    assert answers(db, programme.alice) is None


def test_demographics_are_in_the_data_download_and_erased_with_the_account(client, auth, programme, db):
    services.save_demographics(programme.alice, "female", "18_24", True)
    auth.login("alice")
    data = client.get("/me/data.json").get_json()
    assert data["demographics"] == {"gender": "female", "age_band": "18_24", "shared_in_reports": True}
    response = client.post_form("/me/erase", {"password": PASSWORD, "confirm": "y"}, token_from="/me/erase")
    assert response.status_code == 303
    assert answers(db, programme.alice) is None


def test_only_admins_read_the_audit_trail(client, auth, programme, db, make_user):
    services.record_export(
        programme.manager_a, "completions", "csv", {"scope": [1], "course": "course-a"}, 12
    )
    auth.login("manager-all")
    assert client.get("/reports/audit").status_code == 403
    auth.logout()
    make_user(role="admin", username="auditor")
    auth.login("auditor")
    page = client.get("/reports/audit").get_data(as_text=True)
    assert "manager-a" in page and "course=course-a" in page and ">12<" in page
