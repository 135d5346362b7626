import datetime as dt
import json
import os

import chinese_calendar
import pytest

from app.errors import ValidationError
from app.services import workdays
from app.services.workdays import (
    Overrides,
    WorkdayOverridesError,
    add_workdays,
    earliest_transfer_start,
    is_workday,
    load_overrides,
    require_transfer_notice,
    workdays_between,
)

D = dt.date
NO_OVERRIDES = Overrides()  # the library and Mon-Fri only, whatever the shipped file says


@pytest.fixture(autouse=True)
def _shipped_overrides():
    # Every test starts from the shipped file and leaves it configured.
    workdays.set_overrides_path(None)
    yield
    workdays.set_overrides_path(None)


def write_overrides(path, **body):
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


# --- National Day 2026 (国办发明电: 10月1日至7日放假调休，9月20日（周日）、10月10日（周六）上班)


def test_national_day_2026_days_off_and_make_up_days():
    for day in range(1, 8):
        assert not is_workday(D(2026, 10, day)), day
    # Thursday 8 October is back to work: the holiday is 1-7, not 1-8.
    assert is_workday(D(2026, 10, 8))
    assert is_workday(D(2026, 9, 20))  # Sunday, make-up workday
    assert is_workday(D(2026, 10, 10))  # Saturday, make-up workday
    assert not is_workday(D(2026, 10, 11))  # an ordinary Sunday


def test_no_working_day_inside_national_day():
    assert workdays_between(D(2026, 9, 30), D(2026, 10, 7)) == 0
    assert workdays_between(D(2026, 9, 30), D(2026, 10, 8)) == 1


def test_transfer_reported_before_national_day_counts_the_make_up_saturday():
    # Mon 28 Sep: Tue 29 (1), Wed 30 (2), Thu 8 Oct (3), Fri 9 (4), Sat 10 make-up (5).
    assert earliest_transfer_start(D(2026, 9, 28), 5) == D(2026, 10, 10)
    # Thu 24 Sep: Mid-Autumn 25-27 off, Mon 28 (1), 29 (2), 30 (3), 8 Oct (4), 9 Oct (5).
    assert earliest_transfer_start(D(2026, 9, 24), 5) == D(2026, 10, 9)


# --- Spring Festival 2026 (2月15日至23日放假调休，2月14日（周六）、2月28日（周六）上班)


def test_spring_festival_2026():
    assert is_workday(D(2026, 2, 14))  # Saturday make-up
    assert all(not is_workday(D(2026, 2, day)) for day in range(15, 24))
    assert workdays_between(D(2026, 2, 14), D(2026, 2, 23)) == 0
    # Fri 13 Feb: Sat 14 (1), then nothing until Tue 24 (2), 25 (3), 26 (4), 27 (5).
    assert earliest_transfer_start(D(2026, 2, 13), 5) == D(2026, 2, 27)
    # Sat 28 Feb is a make-up workday too.
    assert earliest_transfer_start(D(2026, 2, 24), 4) == D(2026, 2, 28)


# --- ordinary weeks


def test_plain_week_counting_rule():
    monday = D(2026, 11, 30)
    # The report day is not counted; the start day is counted.
    assert workdays_between(monday, D(2026, 12, 4)) == 4
    assert workdays_between(monday, D(2026, 12, 6)) == 4  # the weekend adds nothing
    assert workdays_between(monday, D(2026, 12, 7)) == 5
    assert earliest_transfer_start(monday, 5) == D(2026, 12, 7)
    assert add_workdays(monday, 1) == D(2026, 12, 1)
    assert add_workdays(monday, 0) == monday


def test_report_made_at_the_weekend():
    for weekend_day in (D(2026, 12, 5), D(2026, 12, 6)):
        assert not is_workday(weekend_day)
        assert earliest_transfer_start(weekend_day, 5) == D(2026, 12, 11)


def test_make_up_workday_counted_between_dates():
    # Fri 18 Sep -> Mon 21 Sep: Sat 19 off, Sun 20 make-up workday, Mon 21.
    assert workdays_between(D(2026, 9, 18), D(2026, 9, 21)) == 2


def test_end_not_after_start_counts_nothing():
    assert workdays_between(D(2026, 12, 7), D(2026, 12, 7)) == 0
    assert workdays_between(D(2026, 12, 7), D(2026, 12, 1)) == 0


def test_datetime_is_treated_as_its_date():
    assert is_workday(dt.datetime(2026, 10, 10, 9, 30))
    assert earliest_transfer_start(dt.datetime(2026, 11, 30, 23, 59), 5) == D(2026, 12, 7)


def test_negative_n_is_a_programming_error():
    with pytest.raises(ValueError):
        add_workdays(D(2026, 11, 30), -1)


def test_earliest_start_is_the_first_acceptable_day_all_year():
    # The definition, checked for every report day of 2026 and several notices.
    day = D(2026, 1, 1)
    while day.year == 2026:
        for n in (1, 3, 5, 7):
            p = earliest_transfer_start(day, n)
            assert workdays_between(day, p) >= n
            assert workdays_between(day, p - dt.timedelta(days=1)) < n, (day, n)
            assert is_workday(p)
        day += dt.timedelta(days=1)


# --- years the library does not know


def test_2027_falls_back_to_monday_to_friday():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(2027, 1, 4))  # so the lines below test the fallback
    assert is_workday(D(2027, 1, 4), overrides=NO_OVERRIDES)  # Monday
    assert not is_workday(D(2027, 1, 2), overrides=NO_OVERRIDES)  # Saturday
    assert is_workday(D(2027, 1, 1), overrides=NO_OVERRIDES)  # Friday: nothing says it is a holiday
    # Mon 28 Dec 2026: 29 (1), 30 (2), 31 (3), Fri 1 Jan 2027 (4), Mon 4 Jan (5).
    assert earliest_transfer_start(D(2026, 12, 28), 5, overrides=NO_OVERRIDES) == D(2027, 1, 4)


def test_shipped_file_knows_new_year_2027():
    shipped = load_overrides()
    assert D(2027, 1, 1) in shipped.holidays
    assert not is_workday(D(2027, 1, 1))
    assert earliest_transfer_start(D(2026, 12, 28), 5) == D(2027, 1, 5)


def test_shipped_file_lists_only_statutory_fixed_dates():
    # 《全国年节及纪念日放假办法》: 元旦 1.1, 劳动节 5.1-5.2, 国庆节 10.1-10.3.
    # Anything else would be a guess at a schedule not yet published.
    shipped = load_overrides(workdays.DEFAULT_OVERRIDES_PATH)
    fixed = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}
    assert shipped.holidays and all((d.month, d.day) in fixed for d in shipped.holidays)
    assert shipped.source


# --- the overrides file


def test_overrides_win_for_unknown_and_known_years(tmp_path):
    path = write_overrides(
        tmp_path / "o.json",
        holidays=["2027-02-08", "2026-12-31"],
        workdays=["2027-02-06", "2026-10-07"],
        source="test",
    )
    ov = load_overrides(path)
    assert not is_workday(D(2027, 2, 8), overrides=ov)  # a Monday made holiday
    assert is_workday(D(2027, 2, 6), overrides=ov)  # a Saturday made workday
    assert not is_workday(D(2026, 12, 31), overrides=ov)  # beats the library (a Thursday)
    assert is_workday(D(2026, 10, 7), overrides=ov)  # beats the library (National Day)
    # Fri 5 Feb 2027: Sat 6 (1), Mon 8 off, Tue 9 (2).
    assert earliest_transfer_start(D(2027, 2, 5), 2, overrides=ov) == D(2027, 2, 9)


def test_configured_path_is_used_and_reloaded_when_edited(tmp_path):
    path = write_overrides(tmp_path / "o.json", holidays=["2027-03-01"], workdays=[])
    workdays.set_overrides_path(path)
    assert not is_workday(D(2027, 3, 1))
    write_overrides(path, holidays=[], workdays=["2027-03-06"])
    # Make sure the change is visible even on filesystems with coarse mtimes.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert is_workday(D(2027, 3, 1))
    assert is_workday(D(2027, 3, 6))


def test_missing_file_means_no_overrides(tmp_path):
    workdays.set_overrides_path(tmp_path / "absent.json")
    assert is_workday(D(2027, 1, 1))


@pytest.mark.parametrize(
    "body",
    [
        {"holidays": ["2027-13-01"]},
        {"holidays": ["1 Jan 2027"]},
        {"holidays": "2027-01-01"},
        {"holidays": ["2027-01-04"], "workdays": ["2027-01-04"]},
        {"holiday": ["2027-01-04"]},
        ["2027-01-04"],
    ],
)
def test_malformed_overrides_are_refused_loudly(tmp_path, body):
    path = tmp_path / "o.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    with pytest.raises(WorkdayOverridesError):
        load_overrides(path)


def test_invalid_json_is_refused(tmp_path):
    path = tmp_path / "o.json"
    path.write_text("{holidays: [", encoding="utf-8")
    with pytest.raises(WorkdayOverridesError):
        load_overrides(path)


# --- the check the manifest service calls


def test_require_transfer_notice():
    monday = D(2026, 11, 30)
    require_transfer_notice(monday, D(2026, 12, 7), 5)
    require_transfer_notice(monday, D(2026, 12, 20), 5)
    with pytest.raises(ValidationError) as err:
        require_transfer_notice(monday, D(2026, 12, 4), 5)
    assert "5个工作日" in err.value.message
    assert "2026年12月7日" in err.value.message
    assert err.value.fields == {"planned_start": err.value.message}
    with pytest.raises(ValidationError):
        require_transfer_notice(monday, monday, 5)
