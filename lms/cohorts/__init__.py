"""Cohorts and live sessions: registration, waiting lists, calendars, attendance, blended completion."""


def init_app(app) -> None:
    """Plug live sessions into the lower domains' pages and completion rules.

    Call from `create_app` after certificates: adds the upcoming sessions to "My learning" and
    the course page, and makes a course's completion wait for the attendance a cohort requires
    (the courses `completion_requirements` hook).
    """
    from lms.cohorts import services, views
    from lms.courses import signals as course_signals

    course_signals.add_completion_requirement(
        app, lambda _sender, *, user, course: services.requirement_state(user, course)
    )
    app.extensions.setdefault("tamkeen-me-panels", []).append(views.upcoming_panel)
    app.extensions["tamkeen-course-extra"] = views.chain_course_extra(
        app.extensions.get("tamkeen-course-extra")
    )
