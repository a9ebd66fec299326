"""A booking's cost in the pure domain on ordinary days booked in turn across their slots (the shape of
``load.py --shape spread``).

Each doctor has eight hourly slots of 30 seats; booking n asks for slot n mod 8, as ``../shared/bench/load.py
--shape spread`` books, until the day is full (240 bookings). Every booking lands at the end of its slot's queue
with later slots booked behind it, so it shows what an ETA walk costs when the day after the booking keeps its
times. Prints the mean µs per booking; run under ``valgrind --tool=callgrind`` to count instructions instead.

usage: python -m deploy.bench.spread_day [days]   (default 20)
"""

import sys
from datetime import time as clock_time

from deploy.bench.core import DayShape, Desk, decide, hourly_slots
from shared.contracts.commands import AnyCommand, BookToken
from shared.contracts.values import TimeRange, TokenSource

LOAD_PY_DAY = DayShape("load.py", hourly_slots(9, 17, capacity=30, reserved=1), bookings=0)
SLOTS = [TimeRange(start_time=clock_time(hour), end_time=clock_time(hour + 1)) for hour in range(9, 17)]
BOOKINGS_PER_DAY = 240


def booking_in(desk: Desk, slot: TimeRange) -> AnyCommand:
    command = desk.book(TokenSource.ONLINE)
    assert isinstance(command, BookToken)
    return command.model_copy(update={"payload": command.payload.model_copy(update={"time_slot": slot})})


def main(days: int) -> None:
    seconds = 0.0
    for number in range(days):
        desk = Desk(LOAD_PY_DAY, number)
        seconds += decide(desk, [booking_in(desk, SLOTS[n % len(SLOTS)]) for n in range(BOOKINGS_PER_DAY)])
    print(f"{days * BOOKINGS_PER_DAY} bookings on {days} days: {seconds / (days * BOOKINGS_PER_DAY) * 1e6:.1f} µs each")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
