"""Cohorts: creation, enrolment by CSV upload (all or nothing) or join code, scope."""

import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from lms.accounts.models import Membership
from lms.core.db import utcnow
from lms.courses.models import Enrolment
from lms.reports import cohorts, completions, rosters, services
from lms.reports.filters import PROGRAMME, ReportFilter
from lms.reports.models import Cohort, CohortMember
from tests.conftest import ARABIC

# Alice reads Arabic: pages come in her language.
AR = ARABIC


def make_cohort(programme, scope=PROGRAMME, organisations=None, **kw):
    organisation_ids = [programme.org_a.id] if organisations is None else organisations
    return cohorts.create_cohort(
        None,
        scope,
        name=kw.pop("name", "Spring 2025"),
        course_ids=kw.pop("course_ids", [programme.course.id]),
        organisation_ids=organisation_ids,
        starts_on=kw.pop("starts_on", None),
        ends_on=kw.pop("ends_on", None),
    )


def members(db, cohort) -> set[int]:
    return set(db.session.scalars(sa.select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)))


def enrolled(db, user, course) -> bool:
    return (
        db.session.scalar(
            sa.select(Enrolment.id).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id)
        )
        is not None
    )


def upload(client, cohort_id, text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    token = client.csrf_token(f"/reports/cohorts/{cohort_id}")
    return client.post(
        f"/reports/cohorts/{cohort_id}/members",
        data={"csrf_token": token, "roster": (io.BytesIO(data), "people.csv")},
        content_type="multipart/form-data",
    )


def test_a_manager_creates_a_cohort_for_their_organisation(client, auth, programme, db):
    auth.login("manager-a")
    response = client.post_form(
        "/reports/cohorts",
        {
            "name": "Beirut spring",
            "courses": str(programme.course.id),
            "organisations": str(programme.org_a.id),
            "starts_on": utcnow().date().isoformat(),
            "ends_on": (utcnow().date() + timedelta(days=90)).isoformat(),
        },
        token_from="/reports/cohorts",
    )
    assert response.status_code == 303
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.name == "Beirut spring"))
    assert cohort.ends_on == utcnow().date() + timedelta(days=90)
    assert re.fullmatch(r"[2-9A-Z]{10}", cohort.join_code)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert cohort.join_code in page and "Organisation A" in page
    auth.logout()
    auth.login("manager-b")
    assert client.get(f"/reports/cohorts/{cohort.id}").status_code == 403
    assert "Beirut spring" not in client.get("/reports/cohorts").get_data(as_text=True)
    assert client.get(f"/reports/?cohort={cohort.id}").status_code == 403


def test_a_manager_cannot_run_a_cohort_for_someone_elses_organisation(client, auth, programme, db):
    scope_a = services.scope_for(programme.manager_a)
    with pytest.raises(services.NotAllowed):
        make_cohort(programme, scope_a, organisations=[programme.org_b.id])
    with pytest.raises(services.ReportError, match="at least one"):
        make_cohort(programme, scope_a, organisations=[])
    auth.login("manager-a")
    response = client.post_form(
        "/reports/cohorts",
        {"name": "Sneaky", "courses": str(programme.course.id), "organisations": str(programme.org_b.id)},
        token_from="/reports/cohorts",
    )
    assert response.status_code == 200  # not a choice the form offers
    assert db.session.scalar(sa.select(Cohort.id).where(Cohort.name == "Sneaky")) is None


def test_a_cohort_for_two_organisations_needs_a_manager_of_both(db, programme):
    cohort = make_cohort(programme, organisations=[programme.org_a.id, programme.org_b.id])
    with pytest.raises(services.NotAllowed):
        cohorts.get_cohort(services.scope_for(programme.manager_a), cohort.id)
    services.grant_scope(None, programme.manager_a, programme.org_b)
    assert cohorts.get_cohort(services.scope_for(programme.manager_a), cohort.id).cohort == cohort
    programme_only = make_cohort(programme, organisations=[])
    with pytest.raises(services.NotAllowed):
        cohorts.get_cohort(services.scope_for(programme.manager_a), programme_only.id)


def test_uploading_a_roster_enrols_everyone_listed(client, auth, programme, db, make_user):
    cohort = make_cohort(programme, course_ids=[programme.course.id, programme.other_course.id])
    newcomer = make_user(username="newcomer", email="New.Comer@example.org")
    from lms.accounts import services as accounts

    accounts.join_organisation(newcomer, programme.org_a)
    auth.login("manager-a")
    response = upload(
        client, cohort.id, "\ufeffusername\r\nalice\r\n\r\nnew.comer@EXAMPLE.org,ignored\r\nALICE\r\n"
    )
    assert response.status_code == 303
    assert members(db, cohort) == {programme.alice.id, newcomer.id}
    assert enrolled(db, newcomer, programme.course) and enrolled(db, newcomer, programme.other_course)
    assert enrolled(db, programme.alice, programme.other_course)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 learners were added" in page, re.findall(r"flash[^>]*>([^<]*)<", page)
    # Uploading the same file again changes nothing and says so.
    again = upload(client, cohort.id, "alice\nnew.comer@example.org\n")
    assert "already in the cohort" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_bad_rows_are_listed_by_line_and_nothing_is_applied(client, auth, programme, db, make_user):
    cohort = make_cohort(programme, course_ids=[programme.other_course.id])
    disabled = make_user(username="disabled-one")
    from lms.accounts import services as accounts

    accounts.join_organisation(disabled, programme.org_a)
    disabled.is_disabled = True
    twin_1 = make_user(username="twin1", email="twin@example.org")
    twin_2 = make_user(username="twin2", email="twin@example.org")
    accounts.join_organisation(twin_1, programme.org_a)
    accounts.join_organisation(twin_2, programme.org_a)
    auth.login("manager-a")
    roster = "alice\nnobody-here\ncarol\ndisabled-one\ntwin@example.org\nbob\n"
    response = upload(client, cohort.id, roster)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    problems = re.findall(r"<li>Line (\d+): ([^<]+)</li>", html)
    assert [int(line) for line, _message in problems] == [2, 3, 4, 5]
    # An unknown account and someone else's member get the same answer: no probing.
    assert problems[0][1] == problems[1][1]
    assert "disabled" in problems[2][1]
    assert "Several accounts" in problems[3][1]
    assert members(db, cohort) == set()
    assert not enrolled(db, programme.alice, programme.other_course)


def test_a_file_that_is_not_utf8_is_refused(client, auth, programme, db):
    cohort = make_cohort(programme)
    auth.login("manager-a")
    response = upload(client, cohort.id, b"alice\nbob\n" + "Zoë\n".encode("latin-1"))
    assert response.status_code == 400
    assert "Line 3" in response.get_data(as_text=True)
    assert members(db, cohort) == set()


def test_read_roster_skips_headers_and_blank_lines():
    assert rosters.read_roster(b'Email\n\n a@b.org , x\n"bob"\n') == [(3, "a@b.org"), (4, "bob")]
    with pytest.raises(rosters.UploadRejected):
        rosters.read_roster(b"x" * (rosters.MAX_UPLOAD_BYTES + 1))


def join(client, code, **extra):
    return client.post_form("/cohorts/join", {"code": code, **extra}, token_from="/cohorts/join")


def test_joining_with_the_code_asks_first_then_enrols(client, auth, programme, db, make_user):
    cohort = make_cohort(programme)
    learner = make_user(username="walk-in")
    auth.login("walk-in")
    code = cohort.join_code.lower()[:5] + "-" + cohort.join_code[5:]  # typed loosely
    first = join(client, code)
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and "Spring 2025" in html and "Organisation A" in html
    assert members(db, cohort) == set()  # nothing happens before confirming
    refused = join(client, code, confirm="y")  # no organisation chosen
    assert "Choose your organisation" in refused.get_data(as_text=True)
    assert members(db, cohort) == set()
    done = join(client, code, confirm="y", organisation=str(programme.org_a.id))
    assert done.status_code == 303
    assert members(db, cohort) == {learner.id}
    assert enrolled(db, learner, programme.course)
    assert db.session.scalar(
        sa.select(Membership.id).where(
            Membership.user_id == learner.id, Membership.organisation_id == programme.org_a.id
        )
    )
    # Their new organisation's manager now sees them.
    names = {
        r.display_name
        for r in completions.iter_completions(services.scope_for(programme.manager_a), ReportFilter())
    }
    assert "" in names or learner.display_name in names


def test_a_member_joins_without_choosing(client, auth, programme, db):
    cohort = make_cohort(programme)
    auth.login("alice")
    assert join(client, cohort.join_code, confirm="y").status_code == 303
    assert members(db, cohort) == {programme.alice.id}
    assert join(client, cohort.join_code, confirm="y").status_code == 303  # twice is harmless
    assert members(db, cohort) == {programme.alice.id}


def test_ended_cohorts_and_old_codes_do_not_open(client, auth, programme, db):
    ended = make_cohort(programme, ends_on=utcnow().date() - timedelta(days=1), starts_on=date(2020, 1, 1))
    current = make_cohort(programme, name="Current")
    old_code = current.join_code
    cohorts.renew_code(PROGRAMME, current.id)
    auth.login("alice")
    assert AR.gettext("This cohort has ended.") in join(client, ended.join_code, confirm="y").get_data(
        as_text=True
    )
    assert AR.gettext("That code does not open any cohort.") in join(client, old_code, confirm="y").get_data(
        as_text=True
    )
    assert members(db, ended) == members(db, current) == set()


def test_the_cohort_filter_means_its_members_in_its_courses(db, programme):
    cohort = make_cohort(programme, organisations=[])
    cohorts.add_members(cohorts.get_cohort(PROGRAMME, cohort.id), [programme.bob, programme.erin], "upload")
    rows = list(completions.iter_completions(PROGRAMME, ReportFilter(cohort=cohort.id)))
    # Bob in course-a (the cohort's course), not course-b; Erin was enrolled in course-a by joining.
    assert sorted((r.display_name, r.course_slug) for r in rows) == [
        ("Bob", "course-a"),
        ("Erin", "course-a"),
    ]


def test_accounts_outside_the_managers_organisations_read_as_no_account(
    client, auth, programme, db, make_user
):
    from lms.accounts import services as accounts

    cohort = make_cohort(programme, course_ids=[programme.other_course.id])
    outsider = make_user(username="outside-disabled")
    accounts.join_organisation(outsider, programme.org_b)
    outsider.is_disabled = True
    inside = make_user(username="twin-inside", email="shared@example.org")
    outside = make_user(username="twin-outside", email="shared@example.org")
    accounts.join_organisation(inside, programme.org_a)
    accounts.join_organisation(outside, programme.org_b)
    auth.login("manager-a")
    response = upload(client, cohort.id, "nobody-at-all\noutside-disabled\ncarol\nunknown@example.org\n")
    assert response.status_code == 400
    messages = [
        m for _line, m in re.findall(r"<li>Line (\d+): ([^<]+)</li>", response.get_data(as_text=True))
    ]
    # Unknown, disabled elsewhere, member elsewhere: one answer, which says nothing of them.
    assert len(messages) == 4 and len(set(messages)) == 1
    # An e-mail shared with someone elsewhere is only this organisation's member's.
    assert upload(client, cohort.id, "ｓｈａｒｅｄ@example.org\n").status_code == 303  # noqa: RUF001
    assert members(db, cohort) == {inside.id}


def test_checking_a_code_says_whether_the_learner_must_choose_an_organisation(db, programme, make_user):
    cohort = make_cohort(programme)
    walk_in = make_user(username="walk-in-2")
    check = cohorts.check_code(walk_in, cohort.join_code.lower())
    assert check.view.cohort == cohort and check.needs_choice
    assert not cohorts.check_code(programme.alice, cohort.join_code).needs_choice  # already in A
    assert members(db, cohort) == set()  # checking joins nobody
    programme_wide = make_cohort(programme, name="Everyone", organisations=[])
    assert not cohorts.check_code(walk_in, programme_wide.join_code).needs_choice
    with pytest.raises(services.NotFound):
        cohorts.check_code(walk_in, "NOT-A-CODE")
    ended = make_cohort(programme, name="Ended", ends_on=utcnow().date() - timedelta(days=1))
    with pytest.raises(cohorts.CohortClosed):
        cohorts.check_code(walk_in, ended.join_code)
