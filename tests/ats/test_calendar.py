"""The acknowledgement deadline across weekends, Dutch public holidays and DST changes."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from ats.calendar import ack_due_at, add_working_hours, is_working_day

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC = timezone.utc


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMSTERDAM)


def due(applied: datetime, days: int = 5) -> datetime:
    return ack_due_at(applied, days, AMSTERDAM).astimezone(AMSTERDAM)


def test_five_working_days_from_a_monday_is_the_next_monday():
    assert due(local(2026, 11, 16, 10, 30)) == local(2026, 11, 23, 10, 30)


def test_weekends_are_skipped():
    # Thursday + 5 working days: Fri, Mon, Tue, Wed, Thu
    assert due(local(2026, 11, 19, 9, 0)) == local(2026, 11, 26, 9, 0)
    assert due(local(2026, 11, 20, 9, 0), 1) == local(2026, 11, 23, 9, 0)


def test_an_application_made_at_the_weekend_counts_from_monday():
    assert due(local(2026, 11, 21, 14, 0)) == local(2026, 11, 27, 14, 0)
    assert due(local(2026, 11, 22, 23, 0), 1) == local(2026, 11, 23, 23, 0)


def test_easter_monday_is_not_a_working_day():
    assert not is_working_day(local(2026, 4, 6).date())
    # Saturday 4 April 2026 + 1 skips Easter Monday 6 April
    assert due(local(2026, 4, 4, 12, 0), 1) == local(2026, 4, 7, 12, 0)
    # Tuesday 31 March + 5 crosses the whole Easter weekend: Wed 1, Thu 2, (Fri 3 Good Friday
    # per the holidays library), (Mon 6), Tue 7, Wed 8, Thu 9 April
    assert due(local(2026, 3, 31, 12, 0)) == local(2026, 4, 9, 12, 0)


def test_kings_day_is_not_a_working_day():
    assert not is_working_day(local(2026, 4, 27).date())  # a Monday in 2026
    # Wed 22 April + 5: Thu, Fri, (King's Day), Tue, Wed, Thu 30 April
    assert due(local(2026, 4, 22, 10, 0)) == local(2026, 4, 30, 10, 0)


def test_kings_day_moves_to_saturday_when_the_27th_is_a_sunday():
    assert not is_working_day(local(2025, 4, 26).date())
    assert is_working_day(local(2025, 4, 28).date())


def test_christmas_and_new_year_are_not_working_days():
    # Wed 23 Dec 2026 + 5: Thu 24, (Fri 25, Sat 26 Christmas), Mon 28, Tue 29, Wed 30, Thu 31
    assert due(local(2026, 12, 23, 16, 0)) == local(2026, 12, 31, 16, 0)
    # Tue 22 Dec 2026 + 8 lands past New Year's Day (Fri 1 Jan 2027) on Mon 4 Jan
    assert due(local(2026, 12, 22, 16, 0), 7) == local(2027, 1, 4, 16, 0)


def test_summer_time_starting_keeps_the_local_time_of_day():
    # Clocks go forward on Sunday 29 March 2026: the deadline is still 10:00 local, so only
    # 6 days 23 hours of real time pass.
    applied = local(2026, 3, 26, 10, 0)
    deadline = ack_due_at(applied, 5, AMSTERDAM)
    assert deadline.astimezone(AMSTERDAM) == local(2026, 4, 2, 10, 0)
    assert deadline.utcoffset().total_seconds() == 0
    assert (deadline - applied).total_seconds() == (7 * 24 - 1) * 3600


def test_summer_time_ending_keeps_the_local_time_of_day():
    # Clocks go back on Sunday 25 October 2026.
    applied = local(2026, 10, 22, 10, 0)
    deadline = ack_due_at(applied, 5, AMSTERDAM)
    assert deadline.astimezone(AMSTERDAM) == local(2026, 10, 29, 10, 0)
    assert (deadline - applied).total_seconds() == (7 * 24 + 1) * 3600


def test_the_day_is_the_employers_not_utcs():
    # 23:30 UTC on Friday is already Saturday in Amsterdam: counting starts Monday.
    applied = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    assert due(applied, 1) == local(2026, 11, 23, 0, 30)


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        ack_due_at(datetime(2026, 11, 20, 10, 0), 5, AMSTERDAM)


def test_working_hours_skip_evenings_weekends_and_holidays():
    # Friday 16:00 + 8 working hours: 1 hour on Friday, 7 on Monday -> Monday 16:00
    friday = local(2026, 11, 20, 16, 0)
    assert add_working_hours(friday, 8, AMSTERDAM).astimezone(AMSTERDAM) == local(
        2026, 11, 23, 16, 0
    )
    # Christmas Eve 20:00 + 8: Thursday evening is closed, 25/26 Dec are holidays -> Mon 28 17:00
    eve = local(2026, 12, 24, 20, 0)
    assert add_working_hours(eve, 8, AMSTERDAM).astimezone(AMSTERDAM) == local(2026, 12, 28, 17, 0)
