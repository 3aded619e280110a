"""The extension points accounts declares: higher domains add panels, links, exports, erasure.

Accounts sits below the domains that keep data about a learner, so it cannot call them; it
sends a blinker signal instead, with the app as sender, and each domain connects to it for
that app through the typed registration function next to the signal (called from
`lms.app.create_app`). Nothing is looked up by a string key.
"""

from typing import Any, Protocol

from blinker import Namespace
from flask import Flask, current_app
from markupsafe import Markup

from lms.accounts.models import User


class UserHook(Protocol):
    """A domain's action on one user (erasure: delete what it keeps about them)."""

    def __call__(self, user: User) -> None: ...


class DataExporter(Protocol):
    """A domain's part of a learner's data download: JSON-ready data about the user."""

    def __call__(self, user: User) -> Any: ...


class Panel(Protocol):
    """A domain's panel on "My learning": its HTML, or None when it has nothing to show."""

    def __call__(self, user: User) -> Markup | None: ...


class PseudonymHook(Protocol):
    """A domain moving its records from an erased learner's old pseudonym to the new one."""

    def __call__(self, old_public_id: str, new_public_id: str) -> None: ...


_signals = Namespace()
account_erasing = _signals.signal(
    "account-erasing",
    doc="Sent (sender: the app, keyword `user`) inside the transaction that erases an account: "
    "receivers delete what their domain keeps about the user. Subscribe with `add_erase_hook`.",
)
pseudonym_changed = _signals.signal(
    "pseudonym-changed",
    doc="Sent (sender: the app, keywords `old` and `new`) when erasure gives a learner a new "
    "pseudonymous id: receivers move their records to it. Subscribe with `register_pseudonym_hook`.",
)
data_requested = _signals.signal(
    "personal-data-requested",
    doc="Sent (sender: the app, keyword `user`) to build a learner's data download: each receiver "
    "returns (name, JSON-ready data). Subscribe with `register_data_exporter`.",
)
me_panels = _signals.signal(
    "me-panels",
    doc="Sent (sender: the app, keyword `user`) to build 'My learning': each receiver returns a "
    "panel's HTML (Markup) or None. Subscribe with `add_me_panel`.",
)
profile_links = _signals.signal(
    "profile-links",
    doc="Sent (sender: the app) to list the pages other domains add to the profile: each receiver "
    "returns (endpoint, label). Subscribe with `add_profile_link`.",
)


def add_erase_hook(app: Flask, hook: UserHook) -> None:
    """Let a higher domain delete its data about a learner when the account is erased."""
    account_erasing.connect(lambda _sender, *, user: hook(user), sender=app, weak=False)


def register_pseudonym_hook(app: Flask, hook: PseudonymHook) -> None:
    """Let another domain move its records from an erased learner's old pseudonym to the new one."""
    pseudonym_changed.connect(lambda _sender, *, old, new: hook(old, new), sender=app, weak=False)


def register_data_exporter(app: Flask, name: str, exporter: DataExporter) -> None:
    """Let a higher domain add its part, under `name`, to a learner's data download."""
    data_requested.connect(lambda _sender, *, user: (name, exporter(user)), sender=app, weak=False)


def add_me_panel(app: Flask, panel: Panel) -> None:
    """Let a higher domain add a panel (HTML) to the learner's "My learning" page."""
    me_panels.connect(lambda _sender, *, user: panel(user), sender=app, weak=False)


def add_profile_link(app: Flask, endpoint: str, label: Any) -> None:
    """Let a higher domain link one of its pages from the learner's profile."""
    profile_links.connect(lambda _sender: (endpoint, label), sender=app, weak=False)


def panels_for(user: User) -> list:
    """Return the "My learning" panels of every domain, in the order they were added."""
    return [
        panel for _receiver, panel in me_panels.send(current_app._get_current_object(), user=user) if panel
    ]


def extra_profile_links() -> list[tuple[str, Any]]:
    """Return the (endpoint, label) links other domains add to the profile."""
    return [link for _receiver, link in profile_links.send(current_app._get_current_object())]


def exported_parts(user: User) -> list[tuple[str, Any]]:
    """Return every domain's (name, data) part of the user's data download."""
    return [part for _receiver, part in data_requested.send(current_app._get_current_object(), user=user)]
