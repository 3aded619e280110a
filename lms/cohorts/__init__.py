"""Cohorts and live sessions: registration, waiting lists, calendars, attendance, blended completion."""


def init_app(app) -> None:
    """Plug live sessions into the lower domains' pages and completion rules.

    Call from `create_app` after certificates: adds the upcoming sessions to "My learning" and
    the course page, and makes a course's completion wait for the attendance a cohort requires
    (the courses `completion_requirements` hook); puts live-session data in the learner's
    download and erases it with the account.
    """
    from flask_babel import lazy_gettext as _l

    from lms.accounts import services as account_services
    from lms.cohorts import learner_views, services
    from lms.courses import signals as course_signals

    course_signals.add_completion_requirement(
        app, lambda _sender, *, user, course: services.requirement_state(user, course)
    )
    course_signals.add_peer_group(app, lambda _sender, *, user, course: services.peer_group(user, course))
    account_services.add_me_panel(app, learner_views.upcoming_panel)
    course_signals.add_course_box(app, learner_views.course_box)
    account_services.add_profile_link(
        app, "cohorts.preferences", _l("Live sessions: time zone, reminders, calendar")
    )
    account_services.register_data_exporter(app, "live_sessions", services.export_user_data)
    account_services.add_erase_hook(app, services.erase_for)
