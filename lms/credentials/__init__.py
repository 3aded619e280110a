"""Credentials: every issued certificate also as an Open Badges 3.0 verifiable credential."""


def init_app(app) -> None:
    """Subscribe credentials to the certificates' signals (revoke, reissue) and its page extras."""
    from lms.credentials import services

    services.connect_signals()
