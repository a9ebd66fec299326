"""A small REST client for the scenario: the original contract, as any hospital client would use it."""

from typing import Any

import aiohttp

from shared.codec import dumps
from shared.signatures import SIGNATURE_HEADER, signature


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body.get('code')}: {body.get('error')}")
        self.status = status
        self.body = body


class OpdClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        async with self.session.request(method, self.base_url + path, json=body) as response:
            payload: dict[str, Any] = await response.json()
            if response.status >= 400:
                raise ApiError(response.status, payload)
            return payload

    async def create_doctor(self, **doctor: Any) -> dict[str, Any]:
        created: dict[str, Any] = (await self.call("POST", "/api/doctors", doctor))["doctor"]
        return created

    async def book(self, **booking: Any) -> dict[str, Any]:
        return await self.call("POST", "/api/tokens", booking)

    async def emergency(self, **booking: Any) -> dict[str, Any]:
        return await self.call("POST", "/api/tokens/emergency", booking)

    async def cancel(self, token_id: str, reason: str) -> dict[str, Any]:
        return await self.call("PUT", f"/api/tokens/{token_id}/cancel", {"reason": reason})

    async def no_show(self, token_id: str) -> dict[str, Any]:
        return await self.call("PUT", f"/api/tokens/{token_id}/no-show")

    async def reallocate(self, doctor_id: str) -> dict[str, Any]:
        return await self.call("POST", f"/api/tokens/reallocate/{doctor_id}")

    async def check_in(self, token_id: str) -> dict[str, Any]:
        return await self.call("PUT", f"/api/tokens/{token_id}/check-in")

    async def complete(self, token_id: str) -> dict[str, Any]:
        completed: dict[str, Any] = (await self.call("PUT", f"/api/tokens/{token_id}/complete"))["token"]
        return completed

    async def call_next(self, doctor_id: str) -> dict[str, Any]:
        return await self.call("POST", f"/api/doctors/{doctor_id}/call-next")

    async def delay(self, doctor_id: str, minutes: int, reason: str) -> dict[str, Any]:
        return await self.call("POST", f"/api/doctors/{doctor_id}/delay", {"minutes": minutes, "reason": reason})

    async def queue(self, doctor_id: str) -> dict[str, Any]:
        return await self.call("GET", f"/api/doctors/{doctor_id}/queue")

    async def schedule(self, doctor_id: str) -> dict[str, Any]:
        return await self.call("GET", f"/api/doctors/{doctor_id}/schedule")

    async def page(self, link: str) -> dict[str, Any]:
        """What the patient's own page shows (its JSON), at the link from the booking answer."""
        async with self.session.get(link + "/status") as response:
            answer: dict[str, Any] = await response.json()
            if response.status >= 400:
                raise ApiError(response.status, answer)
            shown: dict[str, Any] = answer["status"]
            return shown

    async def running_late(self, link: str) -> dict[str, Any]:
        """The page's "I'm running late" button."""
        async with self.session.post(link + "/late") as response:
            pressed: dict[str, Any] = await response.json()
            if response.status >= 400:
                raise ApiError(response.status, pressed)
            return pressed

    async def sms(self, secret: str, sender: str, text: str) -> dict[str, Any]:
        """A patient's SMS reply, as the SMS gateway posts it (signed)."""
        body = dumps({"from": sender, "text": text})
        headers = {SIGNATURE_HEADER: signature(secret, body), "Content-Type": "application/json"}
        async with self.session.post(self.base_url + "/api/inbound/sms", data=body, headers=headers) as response:
            answer: dict[str, Any] = await response.json()
            if response.status >= 400:
                raise ApiError(response.status, answer)
            return answer

    async def tokens(self, doctor_id: str) -> list[dict[str, Any]]:
        """The doctor's tokens that day; the list names the doctor in ``doctorId``, the scenario keeps its id."""
        tokens = (await self.call("GET", f"/api/tokens/doctor/{doctor_id}"))["tokens"]
        return [{**token, "doctorId": token["doctorId"]["id"]} for token in tokens]


async def sink_received(session: aiohttp.ClientSession, sink_url: str) -> list[dict[str, Any]]:
    """What the webhook sink has received so far (``deploy.sink``: ``GET /received``)."""
    async with session.get(sink_url.rstrip("/") + "/received") as response:
        response.raise_for_status()
        received: list[dict[str, Any]] = await response.json()
        return received
