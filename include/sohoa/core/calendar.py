"""The programme calendar: one time zone for every "today", date and week boundary.

Reports, the dashboard, the CLI, DAG defaults, deadlines and risk rules all read their
dates here, in the programme's zone (``SOHOA_TZ``, default Asia/Ho_Chi_Minh), never
from the machine's clock zone (UTC in containers). Weeks are Vietnamese calendar
weeks: Monday 00:00 to Sunday 24:00 local time. Timestamps in the database are UTC;
``day_start``/``day_end`` give the UTC bounds of a local day.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TZ = "Asia/Ho_Chi_Minh"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"SOHOA_TZ={name!r} không phải tên múi giờ hợp lệ "
                         f"(ví dụ {DEFAULT_TZ})") from None


def tz_name() -> str:
    return os.environ.get("SOHOA_TZ") or DEFAULT_TZ


def zone() -> ZoneInfo:
    """The programme's time zone (read on each call: tests and runs may set SOHOA_TZ)."""
    return _zone(tz_name())


def now() -> datetime:
    """The current moment, aware, in the programme's zone."""
    return datetime.now(zone())


def today() -> date:
    """Today's date in the programme's zone (not the machine's)."""
    return now().date()


def local_date(moment: datetime) -> date:
    """The programme-zone date of a moment (a naive moment is taken as UTC, as stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone()).date()


def week_start(d: date) -> date:
    """Monday of the week containing ``d``."""
    return d - timedelta(days=d.weekday())


def day_start(d: date) -> datetime:
    """Local midnight at the start of ``d``, as an aware UTC datetime."""
    return datetime.combine(d, time(0), tzinfo=zone()).astimezone(timezone.utc)


def day_end(d: date) -> datetime:
    """The end of ``d`` (local midnight starting the next day), as an aware UTC datetime:
    "as of D" means everything that happened before this instant."""
    return day_start(d + timedelta(days=1))


def week_end_at(moment: datetime) -> datetime:
    """The end of the week containing ``moment`` (the next Monday 00:00 local, as UTC);
    a moment exactly at a Monday 00:00 is that week's end itself (the end of Sunday)."""
    d = local_date(moment)
    start = day_start(week_start(d))
    return start if moment == start else day_start(week_start(d) + timedelta(days=7))


def report_day(*, logical_date: datetime | None = None, data_interval_end: datetime | None = None,
               run_after: datetime | None = None, scheduled: bool = False) -> date:
    """The day a DAG run reports on, from the run itself (never the machine's clock).

    A scheduled run (the Monday-morning weekly report) reports on the last full day
    before its time: the week that has just ended, complete. Any other run (manual,
    after an integration) reports on its own day so far. The run's time is its data
    interval's end, else its logical date, else (an Airflow 3 manual run has no
    logical date) the time it was queued to run after.
    """
    moment = data_interval_end or logical_date or run_after
    if moment is None:
        return today()
    d = local_date(moment)
    return d - timedelta(days=1) if scheduled else d
