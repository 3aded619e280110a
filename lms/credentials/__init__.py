"""Credentials: every issued certificate also as an Open Badges 3.0 verifiable credential."""


def init_app(app) -> None:
    """Subscribe to the certificates' signals (revoke, reissue, page box); add the learner's
    credentials to their data download."""
    from lms.accounts import services as account_services
    from lms.credentials import services

    services.connect_signals()
    account_services.register_data_exporter(app, "open_badges", services.export_for)
