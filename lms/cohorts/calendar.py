"""iCalendar files for sessions and the private feed, built with the `icalendar` library."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar


@dataclass(frozen=True)
class Event:
    """What a calendar entry shows (plain data, never ORM objects)."""

    uid: str
    title: str
    description: str
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    time_zone: str
    location: str
    url: str
    is_cancelled: bool
    stamp: datetime


def build(events: Iterable[Event], *, name: str, product: str = "-//Tamkeen//Live sessions//EN") -> bytes:
    """Return an iCalendar document; times are given in each session's zone, with its VTIMEZONE."""
    cal = icalendar.Calendar()
    cal.add("prodid", product)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for e in events:
        zone = ZoneInfo(e.time_zone)
        item = icalendar.Event()
        item.add("uid", e.uid)
        item.add("dtstamp", e.stamp)
        item.add("dtstart", e.starts_at.astimezone(zone))
        item.add("dtend", e.ends_at.astimezone(zone))
        item.add("summary", e.title)
        if e.description:
            item.add("description", e.description)
        if e.location:
            item.add("location", e.location)
        if e.url:
            item.add("url", e.url)
        item.add("status", "CANCELLED" if e.is_cancelled else "CONFIRMED")
        cal.add_component(item)
    cal.add_missing_timezones()
    return cal.to_ical()
