"""Time zones and daylight saving (pure): local input to UTC, display with the offset."""

from datetime import UTC, date, datetime, time

import pytest

from lms.cohorts import timezones


def test_istanbul_has_no_daylight_saving_and_is_three_hours_ahead():
    instant = timezones.to_utc(date(2026, 7, 1), time(10, 0), "Europe/Istanbul")
    assert instant == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    winter = timezones.to_utc(date(2026, 1, 15), time(10, 0), "Europe/Istanbul")
    assert winter == datetime(2026, 1, 15, 7, 0, tzinfo=UTC)
    assert timezones.offset_label(timezones.localise(winter, "Europe/Istanbul")) == "UTC+03:00"


def test_beirut_changes_offset_with_the_seasons():
    winter = timezones.to_utc(date(2026, 1, 15), time(10, 0), "Asia/Beirut")
    summer = timezones.to_utc(date(2026, 7, 15), time(10, 0), "Asia/Beirut")
    assert winter.hour == 8 and summer.hour == 7
    assert timezones.offset_label(timezones.localise(winter, "Asia/Beirut")) == "UTC+02:00"
    assert timezones.offset_label(timezones.localise(summer, "Asia/Beirut")) == "UTC+03:00"


def test_bogota_is_behind_utc_all_year():
    instant = timezones.to_utc(date(2026, 3, 29), time(18, 30), "America/Bogota")
    assert instant == datetime(2026, 3, 29, 23, 30, tzinfo=UTC)
    assert timezones.offset_label(timezones.localise(instant, "America/Bogota")) == "UTC-05:00"


def test_a_session_across_the_spring_change_keeps_its_real_length():
    # Beirut moves its clocks forward at midnight on the last Sunday of March (29 March 2026).
    start = timezones.to_utc(date(2026, 3, 28), time(22, 0), "Asia/Beirut")
    end = timezones.to_utc(date(2026, 3, 29), time(2, 0), "Asia/Beirut")
    assert (end - start).total_seconds() == 3 * 3600  # four wall-clock hours, three real ones
    assert timezones.offset_label(timezones.localise(start, "Asia/Beirut")) == "UTC+02:00"
    assert timezones.offset_label(timezones.localise(end, "Asia/Beirut")) == "UTC+03:00"


def test_a_time_skipped_by_the_clocks_is_refused():
    with pytest.raises(timezones.BadTime):
        timezones.to_utc(date(2026, 3, 29), time(0, 30), "Asia/Beirut")


def test_a_repeated_time_means_its_first_occurrence():
    # Europe/Berlin goes back from 03:00 to 02:00 on 25 October 2026.
    instant = timezones.to_utc(date(2026, 10, 25), time(2, 30), "Europe/Berlin")
    assert instant == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "../../etc/passwd", "x" * 200, "Etc/GMT+3"])
def test_unknown_zones_are_refused(name):
    with pytest.raises(timezones.BadTime):
        timezones.get_zone(name)
