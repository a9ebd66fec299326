"""The id a refused message is answered under when its body could not be decoded as a command."""

from dataclasses import dataclass
from uuid import uuid4

import orjson

from allocator.entrypoints.shard_consumer import MAX_COMMAND_BYTES, NIL, _command_id_of


@dataclass
class Message:
    body: bytes
    correlation_id: str | None = None
    message_id: str | None = None


def test_the_properties_name_the_command_first_then_a_small_body() -> None:
    named, in_body = uuid4(), uuid4()
    body = orjson.dumps({"commandId": str(in_body)})
    assert _command_id_of(Message(body, correlation_id=str(named))) == named  # type: ignore[arg-type]
    assert _command_id_of(Message(body, message_id="not-a-uuid")) == in_body  # type: ignore[arg-type]
    assert _command_id_of(Message(b"{not json")) == NIL  # type: ignore[arg-type]


def test_a_body_too_large_to_accept_is_not_read_for_its_id() -> None:
    """Any login may publish a body of many megabytes: refusing it must not parse it on the shard's only writer."""
    padded = orjson.dumps({"commandId": str(uuid4()), "padding": "x" * MAX_COMMAND_BYTES})
    assert _command_id_of(Message(padded)) == NIL  # type: ignore[arg-type]
