from datetime import date

import pytest

from geo.errors import PeriodError
from geo.periods import last_closed_half, parse_period


@pytest.mark.parametrize(
    ("label", "start", "end"),
    [
        ("2019", date(2019, 1, 1), date(2020, 1, 1)),
        ("2019-06", date(2019, 6, 1), date(2019, 7, 1)),
        ("2019-12", date(2019, 12, 1), date(2020, 1, 1)),
        ("2019-Q4", date(2019, 10, 1), date(2020, 1, 1)),
        ("2019-h2", date(2019, 7, 1), date(2020, 1, 1)),
        ("2019-9M", date(2019, 1, 1), date(2019, 10, 1)),
    ],
)
def test_periods_cover_their_calendar_window(label, start, end):
    period = parse_period(label)
    assert (period.start, period.end) == (start, end)
    assert start in period and (end not in period)


@pytest.mark.parametrize("label", ["2019-13", "2019-Q5", "2019-H3", "19", "2019/06", ""])
def test_bad_period_names_every_accepted_form(label):
    with pytest.raises(PeriodError, match=r"2019-Q2.*2019-H1.*2019-9M"):
        parse_period(label)


def test_last_closed_half_year_is_complete():
    assert last_closed_half(date(2026, 7, 1)).label == "2026-H1"
    assert last_closed_half(date(2026, 6, 30)).label == "2025-H2"
