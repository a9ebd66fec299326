"""The benchmark tools themselves: the core micro-benchmark and the notifier drain give figures from real work."""

import pytest

from deploy.bench.core import OPD_DAY, SCENARIOS, Desk, decide, measure
from deploy.bench.notifier_drain import add_doctors, build_events, drain, publish
from deploy.bench.services import Stack
from deploy.bench.waitlist import LOAD_PY_DAY, first_slot_booking
from shared import db
from tests.conftest import AMQP_URL, SHARD_COUNT


def test_the_core_benchmark_times_real_decisions() -> None:
    for scenario, decisions in SCENARIOS.values():
        done, seconds = measure(scenario, decisions, OPD_DAY, 0.05)

        assert done >= decisions(OPD_DAY) and seconds > 0


def test_the_waitlist_benchmark_books_one_slot_until_a_waitlist_forms_behind_it() -> None:
    desk = Desk(LOAD_PY_DAY, 1)
    decide(desk, [first_slot_booking(desk) for _ in range(100)])

    (day,) = desk.ws.days.values()
    first_slot = day.slots[0]
    statuses = [token.status.value for token in day.tokens if token.slot_id == first_slot.id]
    assert len(statuses) == 100
    assert statuses.count("confirmed") == 29 and statuses.count("pending") == 71  # one seat kept for emergencies


@pytest.mark.timeout(60)
async def test_the_notifier_drain_records_and_settles_every_event(database: str, broker_prefix: str) -> None:
    stack = Stack(database, AMQP_URL, broker_prefix, SHARD_COUNT)
    stack.extra_env.update({"OPD_ETA_COALESCE_SECONDS": "0", "OPD_METRICS_PORT": "0"})
    events = build_events(await add_doctors(database, seed=3), tokens=30, updates=2, seed=3)
    await publish(AMQP_URL, stack.topology, events)
    pg = await db.connect(database)
    try:
        result = await drain(pg, stack, len(events))
    finally:
        stack.stop()
        await pg.close()

    assert len(events) == 90
    assert result.delivered + result.superseded == 90 and result.delivered >= 30
    assert 0 < result.recorded <= result.settled
