"""Working days follow the State Council's calendar: holidays skipped, make-up days counted,
dates taken in China time."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hub.sharing.workdays import add_workdays, due_on, is_workday, workdays_between


def test_national_day_is_skipped_and_its_make_up_saturday_counts() -> None:
    # 2026: 10月1日–7日 off; Saturday 10月10日 is a make-up working day
    assert not is_workday(date(2026, 10, 1))
    assert is_workday(date(2026, 10, 10))
    # from Monday 9月28日: 29, 30, 8, 9, 10 (Sat), 12, 13, 14, 15, 16
    assert add_workdays(date(2026, 9, 28), 10) == date(2026, 10, 16)
    assert workdays_between(date(2026, 9, 28), date(2026, 10, 16)) == 10


def test_the_due_date_counts_from_the_day_in_china() -> None:
    # 17:00 UTC on the 28th is already 01:00 on the 29th in China
    assert due_on(datetime(2026, 9, 28, 15, 0, tzinfo=UTC)) == date(2026, 10, 16)
    assert due_on(datetime(2026, 9, 28, 17, 0, tzinfo=UTC)) == date(2026, 10, 19)


def test_a_year_not_yet_published_counts_monday_to_friday() -> None:
    assert is_workday(date(2031, 3, 3))  # a Monday
    assert not is_workday(date(2031, 3, 1))  # a Saturday
    assert add_workdays(date(2031, 3, 3), 5) == date(2031, 3, 10)
