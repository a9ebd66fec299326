"""The original system's bodies from our replies: messages, ``_id``, suggestions, wait minutes, reallocation stats."""

from datetime import datetime
from uuid import uuid4

from gateway.bodies import answer, hints, reallocation_stats, wait_minutes
from tests.conftest import ZONE

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=ZONE)


def _token(**fields: object) -> dict[str, object]:
    return {"id": str(uuid4()), "status": "confirmed", "estimatedTime": None, "calledAt": None, **fields}


def test_a_new_token_has_the_original_message_its_id_twice_and_the_minutes_to_wait() -> None:
    token = _token(estimatedTime="2026-12-01T09:30:00+05:30")
    body = answer("BookToken", {"token": token}, NOW)
    assert body["message"] == "Token created successfully"
    assert (body["token"]["_id"], body["token"]["actualTime"], body["token"]["estimatedWaitTime"]) == (
        token["id"],
        None,
        90,
    )


def test_wait_minutes_are_null_while_waitlisted_and_never_negative() -> None:
    assert wait_minutes(None, NOW) is None
    assert wait_minutes("2026-12-01T07:50:00+05:30", NOW) == 0


def test_a_cancelled_token_has_no_wait_minutes_and_a_called_one_its_actual_time() -> None:
    called = _token(calledAt="2026-12-01T09:05:00+05:30")
    body = answer("CancelToken", {"token": called, "seatFreed": True}, NOW)
    assert body["message"] == "Token cancelled successfully"
    assert "estimatedWaitTime" not in body["token"]
    assert body["token"]["actualTime"] == "2026-12-01T09:05:00+05:30"


def test_suggestions_take_the_original_names() -> None:
    doctor_id = str(uuid4())
    details = {
        "suggestions": {"slots": [{"date": "2026-12-01", "timeSlot": "10:00-11:00", "seatsLeft": 2}]},
        "suggestedDoctors": [{"doctorId": doctor_id, "name": "Dr. Bose"}],
    }
    shaped = hints(details)
    assert "suggestions" not in shaped
    assert shaped["suggestedSlots"] == [
        {"date": "2026-12-01", "timeSlot": "10:00-11:00", "startTime": "10:00", "endTime": "11:00", "seatsLeft": 2}
    ]
    assert shaped["suggestedDoctors"] == [{"_id": doctor_id, "doctorId": doctor_id, "name": "Dr. Bose"}]


def test_reallocation_stats_count_a_token_promoted_after_a_move_once() -> None:
    result = {"promoted": ["T2"], "moved": ["T2", "T3"], "cancelled": ["T4"], "activeTokens": 6}
    assert reallocation_stats(result) == {"reallocatedCount": 2, "failedCount": 1, "totalTokens": 6}
    assert answer("Reallocate", result, NOW)["stats"] == reallocation_stats(result)
