"""A booking's cost in the pure domain as one slot's waitlist grows (the shape of ``load.py --shape hot``).

One doctor with eight hourly slots of 30 seats; every booking asks for the first slot and joins its waitlist once
it is full, as ``../shared/bench/load.py --shape hot`` books. Prints the mean µs per booking of each 500 more.
A decision that walks the whole waitlist shows as a cost that grows with it.

usage: python -m deploy.bench.waitlist [bookings]   (default 4000)
"""

import sys
import time
from datetime import time as clock_time

from deploy.bench.core import DayShape, Desk, decide, hourly_slots
from shared.contracts.commands import AnyCommand, BookToken
from shared.contracts.values import TimeRange, TokenSource

STEP = 500
LOAD_PY_DAY = DayShape("load.py", hourly_slots(9, 17, capacity=30, reserved=1), bookings=0)
FIRST_SLOT = TimeRange(start_time=clock_time(9), end_time=clock_time(10))


def first_slot_booking(desk: Desk) -> AnyCommand:
    command = desk.book(TokenSource.ONLINE)
    assert isinstance(command, BookToken)
    return command.model_copy(update={"payload": command.payload.model_copy(update={"time_slot": FIRST_SLOT})})


def main(bookings: int) -> None:
    desk = Desk(LOAD_PY_DAY, 1)
    began = time.perf_counter()
    for done in range(STEP, bookings + 1, STEP):
        seconds = decide(desk, [first_slot_booking(desk) for _ in range(STEP)])
        print(f"bookings {done - STEP + 1:>5}-{done:<5} {seconds / STEP * 1e6:8.1f} µs each", flush=True)
    print(f"{bookings} bookings in {time.perf_counter() - began:.1f} s (building the commands included)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4000)
