"""Working days in China: statutory holidays and make-up workdays (调休) from the
``chinesecalendar`` package, which follows the State Council's yearly notice.

A conditional-share request is answered within 10 working days (国务院《政务信息资源共享管理暂行
办法》); its due date counts working days after the day it was submitted, in China time.

For a year the package does not know yet (the notice comes out each winter), every Monday to
Friday counts as a working day; bumping the pinned package brings the real calendar in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

CHINA = ZoneInfo("Asia/Shanghai")
DAYS_TO_DECIDE = 10


def china_today(now: datetime | None = None) -> date:
    """Today's date in China time."""
    return (now or datetime.now(UTC)).astimezone(CHINA).date()


def is_workday(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package does not cover yet
        return day.weekday() < 5


def add_workdays(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_workday(day):
            counted += 1
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_workday(day):
            count += 1
    return count


def due_on(submitted_at: datetime) -> date:
    """When a conditional-share request submitted at ``submitted_at`` must be decided."""
    return add_workdays(china_today(submitted_at), DAYS_TO_DECIDE)
