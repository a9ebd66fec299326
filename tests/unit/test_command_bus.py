"""The command bus tells its caller the broker is unavailable however the AMQP client reports a lost connection."""

from typing import Any
from uuid import uuid4

import pytest

from shared import amqp
from shared.command_bus import BrokerUnavailable, CommandBus
from shared.topology import Topology
from tests.support.commands import book_command


class _Underlay:
    async def basic_consume(self, *args: Any, **kwargs: Any) -> None:
        pass

    async def basic_publish(self, *args: Any, **kwargs: Any) -> None:
        raise Exception  # aiormq: the confirm awaited when the connection closed without a reason


class _Channel:
    is_closed = False

    async def get_underlay_channel(self) -> _Underlay:
        return _Underlay()


class _Connection:
    is_closed = False

    def __init__(self, failure: type[Exception] | None) -> None:
        self.failure = failure

    async def channel(self, **kwargs: Any) -> _Channel:
        if self.failure is not None:
            raise self.failure  # aiormq, Exception: a channel being opened when the connection closed without a reason
        return _Channel()

    async def close(self) -> None:
        self.is_closed = True


def _bus(monkeypatch: pytest.MonkeyPatch, failure: type[Exception] | None) -> CommandBus:
    async def connect(*args: Any, **kwargs: Any) -> _Connection:
        return _Connection(failure)

    monkeypatch.setattr(amqp, "connect", connect)  # the module the command bus connects with
    return CommandBus("amqp://guest:guest@127.0.0.1/", Topology("unit", 2), "unit", declare_topology=False)


@pytest.mark.parametrize("failure", [Exception, None], ids=["opening the channel", "awaiting the confirm"])
async def test_a_connection_closed_without_a_reason_is_a_broker_outage(
    monkeypatch: pytest.MonkeyPatch, failure: type[Exception] | None
) -> None:
    bus = _bus(monkeypatch, failure)
    with pytest.raises(BrokerUnavailable):
        await bus.publish(book_command(uuid4()))
    assert not bus._waiting, "no reply is awaited for a command the broker never took"


async def test_a_bug_is_not_mistaken_for_an_outage(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TypeError):
        await _bus(monkeypatch, TypeError).publish(book_command(uuid4()))
