"""The pure-domain drivers that docs/performance.md measures with callgrind book what they say they book."""

import pytest

from deploy.bench import spread_day, waitlist
from deploy.bench.core import Desk, decide


def test_the_spread_day_books_each_slot_in_turn_until_the_day_is_full(capsys: pytest.CaptureFixture[str]) -> None:
    desk = Desk(spread_day.LOAD_PY_DAY, 1)
    commands = [spread_day.booking_in(desk, spread_day.SLOTS[n % 8]) for n in range(spread_day.BOOKINGS_PER_DAY)]
    decide(desk, commands)
    (day,) = desk.ws.days.values()
    by_slot = [sum(token.slot_id == slot.id for token in day.tokens) for slot in day.slots]
    assert by_slot == [30] * 8  # 29 seats each (one held for emergencies), then one waiting
    spread_day.main(1)
    assert capsys.readouterr().out.startswith("240 bookings on 1 days:")


def test_the_waitlist_driver_books_the_first_slot_only(capsys: pytest.CaptureFixture[str]) -> None:
    waitlist.main(500)
    assert "bookings     1-500" in capsys.readouterr().out
