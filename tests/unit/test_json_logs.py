"""The JSON log line: service, the ids of the context it was written in, and ``extra`` fields."""

import logging
import re
import sys
from collections.abc import Iterator
from datetime import datetime
from uuid import uuid4

import orjson
import pytest

from gateway.request_ids import correlation_id_for
from shared import log_context
from shared.lifecycle import JsonFormatter


@pytest.fixture
def stamped() -> Iterator[None]:
    undo = log_context.stamp_records()
    yield
    undo()


def _line(formatter: JsonFormatter, message: str, **extra: object) -> dict[str, object]:
    record = logging.getLogger("opd.test").makeRecord("opd.test", logging.INFO, __file__, 1, message, (), None)
    for key, value in extra.items():
        setattr(record, key, value)
    return orjson.loads(formatter.format(record))  # type: ignore[no-any-return]


def test_a_line_carries_the_service_and_extra_fields() -> None:
    line = _line(JsonFormatter("allocator"), "hello", shard=3, eventId=uuid4())
    assert line["service"] == "allocator"
    assert line["message"] == "hello"
    assert line["shard"] == 3
    assert isinstance(line["eventId"], str)
    assert not {"requestId", "commandId", "correlationId", "args", "msg"} & line.keys()


def test_a_line_written_while_ids_are_bound_carries_them(stamped: None) -> None:
    command_id, correlation_id = uuid4(), uuid4()
    with log_context.bound(request_id="req-1", command_id=command_id, correlation_id=correlation_id):
        line = _line(JsonFormatter("gateway"), "inside")
    after = _line(JsonFormatter("gateway"), "after")
    assert (line["requestId"], line["commandId"], line["correlationId"]) == (
        "req-1",
        str(command_id),
        str(correlation_id),
    )
    assert not {"requestId", "commandId", "correlationId"} & after.keys()


def test_nested_bindings_restore_the_outer_ids(stamped: None) -> None:
    outer, inner = uuid4(), uuid4()
    with log_context.bound(correlation_id=outer):
        with log_context.bound(command_id=inner):
            line = _line(JsonFormatter(), "inner")
        assert line["correlationId"] == str(outer) and line["commandId"] == str(inner)
        assert "commandId" not in _line(JsonFormatter(), "outer")


def test_a_uuid_request_id_is_its_own_correlation_id_and_others_map_to_a_stable_uuid5() -> None:
    given = uuid4()
    assert correlation_id_for(str(given)) == given
    assert correlation_id_for("checkout-42") == correlation_id_for("checkout-42") != correlation_id_for("checkout-43")
    assert correlation_id_for("checkout-42").version == 5


def test_the_time_is_rfc_3339_with_milliseconds_and_offset_and_a_traceback_is_one_field() -> None:
    line = _line(JsonFormatter("gateway"), "hello")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", str(line["time"]))
    assert datetime.fromisoformat(str(line["time"])).utcoffset() is not None
    assert list(line)[:5] == ["time", "level", "logger", "message", "service"]
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.getLogger("t").makeRecord("t", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = orjson.loads(JsonFormatter().format(record))
    assert "RuntimeError: boom" in entry["exception"]
