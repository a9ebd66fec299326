"""The audit of what a patient was told: read-only, from the notifier's delivery log, through the gateway."""

from typing import Any

from tests.support.api import ApiClient, book, create_doctor, refused
from tests.support.services import Running, eventually


async def test_lists_the_notifications_the_running_notifier_recorded_for_a_token(
    api: ApiClient, allocator: Running, notifier: Running
) -> None:
    doctor = await create_doctor(api)
    token = (await book(api, doctor["id"], "Meera Iyer"))["token"]
    other = (await book(api, doctor["id"], "Someone Else"))["token"]

    async def delivered() -> dict[str, Any] | None:
        response = await api.get(f"/api/tokens/{token['tokenNumber']}/notifications")
        body: dict[str, Any] = await response.json()
        assert response.status == 200, body
        done = [n for n in body["notifications"] if n["eventType"] == "token.confirmed" and n["status"] == "delivered"]
        return body if done else None

    body = await eventually(delivered, timeout=15)
    assert body["success"] is True
    assert (body["tokenId"], body["tokenNumber"]) == (token["id"], token["tokenNumber"])
    assert body["count"] == len(body["notifications"]) >= 1
    confirmed = next(n for n in body["notifications"] if n["eventType"] == "token.confirmed")
    assert confirmed["attempts"] >= 1
    assert confirmed["deliveredAt"] is not None
    assert token["shortNumber"] in confirmed["message"]
    assert {"id", "eventId", "channel", "recipient", "status", "lastError", "createdAt"} <= confirmed.keys()
    assert other["tokenNumber"] not in str(body["notifications"])  # another patient's messages are not listed

    by_id = await (await api.get(f"/api/tokens/{token['id']}/notifications")).json()
    assert [n["id"] for n in by_id["notifications"]][: len(body["notifications"])] == [
        n["id"] for n in body["notifications"]
    ]


async def test_an_unknown_token_is_404_and_a_token_without_messages_lists_none(
    api: ApiClient, allocator: Running
) -> None:
    await refused(api, "GET", "/api/tokens/D9-20261201-T999/notifications", 404, "TOKEN_NOT_FOUND")
    await refused(api, "GET", "/api/tokens/00000000-0000-0000-0000-000000000000/notifications", 404, "TOKEN_NOT_FOUND")
    doctor = await create_doctor(api)
    token = (await book(api, doctor["id"], "Quiet Patient"))["token"]
    body = await (await api.get(f"/api/tokens/{token['id']}/notifications")).json()  # no notifier running
    assert (body["success"], body["notifications"], body["count"]) == (True, [], 0)
