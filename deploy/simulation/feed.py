"""The gateway's live feed (Server-Sent Events) for the simulation's doctors: every event the allocator published,
in order, with the ids the notifier's messages carry. It is how the timeline learns what the system decided."""

import asyncio
import contextlib
import json
from types import TracebackType
from typing import Any

import aiohttp

CONNECT_TIMEOUT = 10.0


class FeedListener:
    """Collects the events of the given doctors from the moment the gateway has bound the subscription."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, doctor_ids: list[str]) -> None:
        self.url = f"{base_url.rstrip('/')}/api/events/stream?doctorId={','.join(doctor_ids)}"
        self.session = session
        self.events: list[dict[str, Any]] = []
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "FeedListener":
        self._task = asyncio.create_task(self._listen())
        waiting = asyncio.create_task(self._connected.wait())
        await asyncio.wait({self._task, waiting}, timeout=CONNECT_TIMEOUT, return_when="FIRST_COMPLETED")
        waiting.cancel()
        if not self._connected.is_set():
            await self._stop()
            raise RuntimeError(f"the live feed at {self.url} did not connect")
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self._stop()

    async def _stop(self) -> None:
        """Stop listening; a listener that failed meanwhile raises its error here."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen(self) -> None:
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with self.session.get(self.url, timeout=timeout) as response:
            if response.status != 200:
                raise RuntimeError(f"live feed refused: {response.status} {await response.text()}")
            data: list[str] = []
            async for raw in response.content:
                line = raw.decode().rstrip("\r\n")
                if line.startswith(": connected"):
                    self._connected.set()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line and data:
                    self.events.append(json.loads("\n".join(data)))
                    data = []
