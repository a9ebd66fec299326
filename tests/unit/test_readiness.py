"""A flood of readiness probes costs one check per interval."""

import asyncio

from gateway.readiness import CachedReadiness


async def test_probes_arriving_together_or_within_the_interval_share_one_check() -> None:
    checks = 0

    async def check() -> dict[str, str]:
        nonlocal checks
        checks += 1
        await asyncio.sleep(0.05)  # a slow database: the others wait for this verdict rather than asking again
        return {"database": "ok", "broker": "ok"}

    cached = CachedReadiness(seconds=0.5)
    verdicts = await asyncio.gather(*(cached.verdict(check) for _ in range(100)))
    assert checks == 1 and all(v == {"database": "ok", "broker": "ok"} for v in verdicts)
    await cached.verdict(check)
    assert checks == 1
    await asyncio.sleep(0.5)
    await cached.verdict(check)
    assert checks == 2


async def test_without_an_interval_every_probe_checks() -> None:
    checks = 0

    async def check() -> dict[str, str]:
        nonlocal checks
        checks += 1
        return {}

    cached = CachedReadiness(seconds=0)
    for _ in range(3):
        await cached.verdict(check)
    assert checks == 3
