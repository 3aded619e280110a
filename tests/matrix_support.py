"""Shared pieces of the access matrix: roles, cases and expectation helpers."""

from dataclasses import dataclass, field

ROLES = ("anonymous", "learner", "trainer", "manager", "admin")
SIGNED_IN = ROLES[1:]
LOGIN = 302  # login_required sends anonymous visitors to the sign-in page


@dataclass(frozen=True)
class Case:
    """One request: how to build its URL and form, and the status expected per role."""

    url: str  # formatted with the fixture objects, e.g. "/admin/users/{other_user}/disable"
    expect: dict[str, int]
    data: dict[str, str] = field(default_factory=dict)
    label: str = ""


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def signed_in(status: int, anonymous: int = LOGIN) -> dict[str, int]:
    return {"anonymous": anonymous, **dict.fromkeys(SIGNED_IN, status)}


def only(roles: tuple[str, ...], status: int, others: int = 403) -> dict[str, int]:
    return {"anonymous": LOGIN, **{r: (status if r in roles else others) for r in SIGNED_IN}}


def anonymous_only(status: int, signed: int = 302) -> dict[str, int]:
    return {"anonymous": status, **dict.fromkeys(SIGNED_IN, signed)}
