"""A progress bar over the simulated day while the live scenario runs: on a terminal only (``rich``), so
captured or piped output (CI) stays plain."""

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from rich.progress import BarColumn, Progress, TextColumn

from shared.clock import Clock


@contextlib.asynccontextmanager
async def day_progress(clock: Clock, start: datetime, end: datetime) -> AsyncIterator[Callable[[str], None]]:
    """Yields ``step(text)``, which shows the latest step next to the bar; a no-op without a terminal."""
    if not sys.stdout.isatty():
        yield lambda text: None
        return
    total = max(1.0, (end - start).total_seconds() / 60)
    with Progress(
        TextColumn("{task.fields[clock]}"), BarColumn(), TextColumn("{task.description}"), transient=True
    ) as progress:
        task = progress.add_task("starting", total=total, clock="--:--")

        async def follow() -> None:
            while True:
                now = clock.now()
                elapsed = (now - start).total_seconds() / 60
                progress.update(task, completed=min(total, elapsed), clock=f"{now.astimezone(end.tzinfo):%H:%M}")
                await asyncio.sleep(0.1)

        follower = asyncio.create_task(follow())
        try:
            yield lambda text: progress.update(task, description=text)
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
