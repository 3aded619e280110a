"""A learner joins an organisation only with the code it gave; leaving is always possible."""

import sqlalchemy as sa

from lms.accounts import services
from lms.accounts.models import Membership
from lms.extensions import db


def _memberships(user) -> set[int]:
    return set(db.session.scalars(sa.select(Membership.organisation_id).where(Membership.user_id == user.id)))


def test_an_organisation_id_alone_does_not_let_a_learner_in(client, auth, make_user, make_organisation):
    learner = make_user(username="joiner")
    organisation = make_organisation(name="Donor-funded NGO")
    auth.login("joiner")
    response = client.post_form("/me/organisations", {"m-organisation": str(organisation.id)})
    assert response.status_code == 400
    guessed = client.post_form("/me/organisations", {"code": "23456789AB"})
    assert guessed.status_code == 303
    assert "That code does not open any organisation." in client.get("/me/profile").get_data(as_text=True)
    assert _memberships(learner) == set()


def test_the_organisations_code_lets_a_learner_join_and_leave(client, auth, make_user, make_organisation):
    admin = make_user(role="admin", username="org-admin")
    organisation = make_organisation(name="Coalition")
    code = services.renew_join_code(admin, organisation)
    learner = make_user(username="member-to-be")
    auth.login("member-to-be")
    typed = f" {code[:5].lower()}-{code[5:]} "
    assert client.post_form("/me/organisations", {"code": typed}).status_code == 303
    assert _memberships(learner) == {organisation.id}
    leave = client.post_form(f"/me/organisations/{organisation.id}/leave", token_from="/me/profile")
    assert leave.status_code == 303 and _memberships(learner) == set()


def test_a_renewed_code_retires_the_old_one(client, auth, make_user, make_organisation, db):
    admin = make_user(role="admin", username="org-admin")
    organisation = make_organisation(name="Network")
    old = services.renew_join_code(admin, organisation)
    auth.login("org-admin")
    page = client.get("/admin/organisations").get_data(as_text=True)
    assert old in page
    assert (
        client.post_form(
            f"/admin/organisations/{organisation.id}/code", {}, token_from="/admin/organisations"
        ).status_code
        == 303
    )
    db.session.refresh(organisation)
    assert organisation.join_code != old
    learner = make_user(username="late")
    try:
        services.join_organisation_with_code(learner, old)
    except services.AccountError:
        pass
    else:
        raise AssertionError("the old code still opens the organisation")
    assert services.join_organisation_with_code(learner, organisation.join_code) == organisation
