"""Certificates: eligibility, issuing, PDF rendering, verification, revocation."""


def init_app(app) -> None:
    """Plug certificates into the pages and privacy tools of the lower domains.

    Call from `create_app` after `app.extensions["tamkeen-me-panels"]` is set: it adds the
    "My certificates" panel, the course page's certificate box (after any existing extra), the
    learner's certificates to their data download, and erases them with the account; issues a
    requested certificate when its course is completed (the `course_completed` signal).
    """
    from lms.accounts import services as account_services
    from lms.certificates import services, views
    from lms.courses import signals as course_signals

    course_signals.on_course_completed(app, services.issue_on_completion)

    app.extensions.setdefault("tamkeen-me-panels", []).append(views.my_certificates_panel)
    app.extensions["tamkeen-course-extra"] = views.chain_course_extra(
        app.extensions.get("tamkeen-course-extra")
    )
    account_services.register_data_exporter(app, "certificates", services.export_for)
    app.extensions.setdefault("tamkeen-erase-hooks", []).append(services.erase_for)
