"""A small fault drill: the allocator process is SIGKILLed under an AMQP load and started again."""

import pytest

from deploy.bench.drills import run_drill
from deploy.bench.services import Stack
from tests.conftest import AMQP_URL, SHARD_COUNT


@pytest.mark.timeout(60)
async def test_allocator_killed_under_load_loses_and_doubles_nothing(database: str, broker_prefix: str) -> None:
    stack = Stack(database, AMQP_URL, broker_prefix, SHARD_COUNT)

    result = await run_drill(stack, "kill", rate=80, seconds=4, fault_after=1.5)

    assert result.note == "allocator SIGKILLed and restarted"
    assert result.violations == []
    assert result.unanswered == 0
    assert len(result.run.samples) == 320
    assert result.run.accepted == {sample.outcome.command_id for sample in result.run.samples}
