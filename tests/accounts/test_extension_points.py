"""Accounts' typed extension points, its errors and its role checks.

Every signal that must have a subscriber is checked on the real app: a `create_app` that
forgot to connect one fails here rather than silently losing data in a download or an erasure.
"""

import pytest

from lms.accounts import permissions, services
from lms.accounts.models import Role
from lms.core.errors import DomainError
from lms.core.views import discreet_mode_chosen, language_chosen
from lms.extensions import db as _db
from lms.records import services as records
from tests.accounts.queries import selects
from tests.conftest import PASSWORD


@pytest.mark.parametrize(
    "signal",
    [
        language_chosen,
        discreet_mode_chosen,
        services.data_requested,
        services.pseudonym_changed,
        services.account_erasing,
        services.me_panels,
        services.profile_links,
    ],
    ids=lambda signal: signal.name,
)
def test_the_app_subscribes_to_every_extension_point(app, signal):
    assert list(signal.receivers_for(app)), f"nobody receives {signal.name!r} for the app"


def test_a_data_download_has_every_domains_part(app, make_user):
    user = make_user(username="downloader")
    data = services.export_user_data(user)
    expected = {
        "quiz_attempts",
        "practice_tasks",
        "learning_records",
        "certificates",
        "open_badges",
        "live_sessions",
        "demographics",
    }
    assert expected <= data.keys(), expected - data.keys()


def test_erasure_moves_learning_records_to_the_new_pseudonym(app, make_user):
    user = make_user(username="erased-learner")
    records.record(user, "experienced", "https://example.org/activity/1")
    old = user.public_id
    services.erase_user(user, PASSWORD)
    assert user.public_id != old
    assert records.statements_for(old) == []
    (statement,) = records.statements_for(user.public_id)
    assert statement["actor"]["account"]["name"] == user.public_id


def test_choosing_a_language_or_discreet_mode_signed_in_is_kept_on_the_account(client, auth, make_user):
    user = make_user(username="chooser", locale="en")
    auth.login("chooser")
    client.post_form("/language", {"lang": "fr", "next": "/"})
    client.post_form("/discreet", {"discreet": "1", "next": "/"})
    _db.session.refresh(user)
    assert user.locale == "fr" and user.is_discreet
    client.post_form("/discreet", {"discreet": "0", "next": "/"})
    _db.session.refresh(user)
    assert not user.is_discreet


def test_the_memory_transport_hands_mail_to_its_receivers(app, db):
    received = []

    def receive(sender, *, message):
        received.append((sender, message))

    services.mail_delivered.connect(receive, sender=app)
    try:
        services.deliver_mail("a@example.org", "Subject", "Body")
    finally:
        services.mail_delivered.disconnect(receive, sender=app)
    assert received == [
        (
            app,
            {"to": "a@example.org", "subject": "Subject", "body": "Body", "sender": received[0][1]["sender"]},
        )
    ]


def test_account_errors_carry_their_status():
    assert issubclass(services.AccountError, DomainError)
    assert services.AccountError("x").status == 400
    assert services.UsernameTaken("x").status == 409
    assert services.NotAllowed("x").status == 403
    assert services.NotFound().status == 404


@pytest.mark.parametrize("role", [Role.LEARNER, Role.TRAINER, Role.MANAGER])
def test_only_admins_manage_accounts_and_organisations(make_user, make_organisation, role):
    actor = make_user(role=role)
    other = make_user()
    organisation = make_organisation()
    code = organisation.join_code
    with pytest.raises(services.NotAllowed, match="Only admins can disable accounts"):
        services.set_disabled(actor, other, True)
    with pytest.raises(services.NotAllowed, match="Only admins can create organisations"):
        services.create_organisation(actor, "Another NGO", "TN")
    with pytest.raises(services.NotAllowed, match="new join code"):
        services.renew_join_code(actor, organisation)
    assert not other.is_disabled and organisation.join_code == code


def test_a_disabled_admin_has_no_admin_rights(make_user):
    admin = make_user(role=Role.ADMIN)
    other = make_user()
    admin.is_disabled = True
    with pytest.raises(services.NotAllowed):
        services.set_disabled(admin, other, True)


def test_an_admin_disables_and_enables_an_account(make_user):
    admin = make_user(role=Role.ADMIN)
    other = make_user()
    services.set_disabled(admin, other, True)
    assert other.is_disabled and not permissions.has_role(other, permissions.EVERYONE)
    services.set_disabled(admin, other, False)
    assert not other.is_disabled


def test_user_names_gives_display_names_else_usernames_in_one_query(make_user):
    named = make_user(username="named-one", display_name="Layla Nasser")
    bare = make_user(username="bare-one")
    with selects() as statements:
        names = services.user_names({named.id, bare.id, 999_999})
    assert names == {named.id: "Layla Nasser", bare.id: "bare-one"}
    assert len(statements) == 1
    assert services.user_names([]) == {}


def test_templates_ask_the_permission_model(app, make_user):
    from flask import render_template_string

    manager = make_user(role=Role.MANAGER)
    with app.test_request_context():
        page = render_template_string(
            "{{ has_role(user, MANAGERS) }} {{ has_role(user, ADMINS) }} {{ has_role(None, EVERYONE) }}",
            user=manager,
        )
    assert page == "True False False"
