"""The transport-floor benchmark's stand-in answers a command with a recorded reply of its type, under its own id."""

import orjson

from deploy.bench.stand_in_allocator import answer

RECORDED = {"BookToken": {"commandId": "old", "ok": True, "result": {"token": {"id": "t1"}}, "error": None}}


def test_a_command_is_answered_with_the_recorded_reply_of_its_type_under_its_own_id() -> None:
    body = orjson.dumps({"type": "BookToken", "commandId": "new", "payload": {}})
    reply = orjson.loads(answer(RECORDED, body) or b"null")
    assert reply == {**RECORDED["BookToken"], "commandId": "new"}


def test_a_new_doctor_is_answered_under_its_own_id_so_that_bookings_spread_over_the_shards() -> None:
    recorded = {"CreateDoctor": {"ok": True, "result": {"doctor": {"id": "first", "name": "Dr. A"}}, "error": None}}
    body = orjson.dumps({"type": "CreateDoctor", "commandId": "c2", "payload": {"doctorId": "second"}})
    reply = orjson.loads(answer(recorded, body) or b"null")
    assert reply["result"]["doctor"] == {"id": "second", "name": "Dr. A"} and reply["commandId"] == "c2"


def test_a_type_never_recorded_gets_no_answer() -> None:
    assert answer(RECORDED, orjson.dumps({"type": "CancelToken", "commandId": "new"})) is None
