"""Certificates: eligibility, issuing, PDF rendering, verification, revocation."""


def init_app(app) -> None:
    """Plug certificates into the pages and privacy tools of the lower domains.

    Call from `create_app` after the "My learning" panel is added: it adds the
    "My certificates" panel, the course page's certificate box, the
    learner's certificates to their data download, and erases them with the account; issues a
    requested certificate when its course is completed (the `course_completed` signal).
    """
    from lms.accounts import services as account_services
    from lms.certificates import panels, services
    from lms.courses import signals as course_signals

    course_signals.on_course_completed(app, services.issue_on_completion)

    account_services.add_me_panel(app, panels.my_certificates_panel)
    course_signals.add_course_box(app, lambda user, course, _states: panels.course_panel(user, course))
    account_services.register_data_exporter(app, "certificates", services.export_for)
    account_services.add_erase_hook(app, services.erase_for)
