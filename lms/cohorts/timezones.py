"""Time zones for live sessions (pure): local input to UTC and back, with the offset shown."""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import TZPATH, ZoneInfo, ZoneInfoNotFoundError, available_timezones


class BadTime(ValueError):
    """A local time that cannot be read or does not exist (a daylight-saving gap)."""


@lru_cache(maxsize=1)
def _valid_names() -> frozenset[str]:
    return frozenset(
        {"UTC"} | {n for n in available_timezones() if "/" in n and not n.startswith(("Etc/", "SystemV/"))}
    )


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Return the zones offered in forms: UTC and the canonical IANA zones (zone1970.tab), sorted.

    Canonical zones only (about 310, not 520 with the old aliases) keep the forms' pages light;
    an alias typed or stored elsewhere is still accepted by `get_zone`.
    """
    table = Path(TZPATH[0] if TZPATH else "/usr/share/zoneinfo") / "zone1970.tab"
    try:
        lines = table.read_text("utf-8").splitlines()
    except OSError:
        return ("UTC", *sorted(_valid_names() - {"UTC"}))
    names = {line.split("\t")[2] for line in lines if line and not line.startswith("#")}
    return ("UTC", *sorted(names & _valid_names()))


def get_zone(name: str) -> ZoneInfo:
    """Return a zone by IANA name; raise BadTime for an unknown one."""
    name = (name or "").strip()
    if not name or len(name) > 64 or name not in _valid_names():
        raise BadTime(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadTime(name) from None


def to_utc(day: date, at: time, zone_name: str) -> datetime:
    """Return the UTC instant of a wall-clock time in a zone.

    A time skipped by a daylight-saving change is refused; a repeated one (clocks going back)
    means its first occurrence, as calendar apps read it.
    """
    zone = get_zone(zone_name)
    local = datetime.combine(day, at).replace(tzinfo=zone, fold=0)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise BadTime(f"{day} {at}")
    return instant


def localise(instant: datetime, zone_name: str) -> datetime:
    """Return a UTC instant as wall-clock time in a zone."""
    return instant.astimezone(get_zone(zone_name))


def offset_label(local: datetime) -> str:
    """Return the UTC offset of a local time as "UTC+03:00" (ASCII digits, any locale)."""
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"
