"""``opd bench``: start the services (or use running ones), load them over REST or AMQP, print the figures,
then check the invariants and that every accepted command has exactly one outcome."""

import asyncio
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import aiohttp

from deploy.bench.cpu import CpuMeter, print_cpu
from deploy.bench.invariants import check_invariants, exactly_once, promotions, wait_for_outcomes, wait_settled
from deploy.bench.load import Mix, Run, Workload, closed_loop, open_loop
from deploy.bench.report import print_run, print_violations
from deploy.bench.services import Stack, bench_stack
from deploy.bench.shapes import SHAPES, Shape, ShapeName
from deploy.bench.transports import DEVELOPMENT_ISSUER, AmqpTransport, RestTransport, Transport
from shared.command_bus import CommandBus
from shared.settings import CommonSettings
from shared.topology import Topology


class TransportName(StrEnum):
    REST = "rest"
    AMQP = "amqp"


@dataclass(frozen=True, slots=True)
class BenchOptions:
    transport: TransportName
    shape: ShapeName
    clients: int
    seconds: float
    rate: float | None
    base_url: str | None
    api_key: str | None = None
    api_key_name: str = "bench"


def make_transport(options: BenchOptions, base_url: str, amqp_url: str, topology: Topology) -> Transport:
    if options.transport is TransportName.REST:
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=max(options.clients, 256)),
            timeout=aiohttp.ClientTimeout(total=60),
            headers={"X-API-Key": options.api_key} if options.api_key else None,
        )
        return RestTransport(
            session, base_url, f"api:{options.api_key_name}" if options.api_key else DEVELOPMENT_ISSUER
        )
    return AmqpTransport(CommandBus(amqp_url, topology, "opd-bench", publish_timeout=30.0), reply_timeout=30.0)


async def create_doctors(transport: Transport, shape: Shape) -> list[str]:
    limit = asyncio.Semaphore(16)

    async def one(n: int) -> str:
        async with limit:
            return await transport.create_doctor(shape.doctor_body(n))

    return list(await asyncio.gather(*(one(n) for n in range(1, shape.doctors + 1))))


async def load(options: BenchOptions, transport: Transport, shape: Shape, meter: CpuMeter) -> Run:
    doctors = await create_doctors(transport, shape)
    tomorrow = datetime.now(CommonSettings().zone).date() + timedelta(days=1)  # no slot has started or ended
    workload = Workload(transport, doctors, tomorrow, Mix())
    meter.start()
    if options.rate:
        return await open_loop(workload, options.rate, options.seconds)
    return await closed_loop(workload, options.clients, options.seconds)


def describe(options: BenchOptions, shape: Shape) -> str:
    mode = f"open loop at {options.rate:g}/s" if options.rate else f"closed loop, {options.clients} clients"
    return (
        f"{options.transport.value.upper()}, shape {shape.name.value} ({shape.doctors} doctor(s)), {mode},"
        f" {options.seconds:g} s, {os.cpu_count()} cores"
    )


async def bench(options: BenchOptions) -> int:
    """Exit code 0 when every invariant holds and no accepted command was lost or doubled."""
    shape = SHAPES[options.shape]
    settings = CommonSettings()
    stack: Stack | None = None
    if options.base_url is None:
        stack = await bench_stack()
        for service in ("allocator-1", "notifier", "gateway"):
            stack.start(service)
        await stack.wait_ready()
    dsn = stack.dsn if stack else settings.database_url
    topology = stack.topology if stack else Topology(settings.broker_prefix, settings.shard_count)
    base_url = stack.base_url if stack else options.base_url or ""
    transport = make_transport(options, base_url, settings.amqp_url, topology)
    try:
        print(describe(options, shape))
        meter = CpuMeter({name: process.pid for name, process in stack.processes.items()} if stack else {})
        run = await load(options, transport, shape, meter)
        shares = meter.shares()
        print_run("results", run)
        print_cpu(shares, len(run.samples), run.seconds, os.cpu_count() or 1)
        if not await wait_for_outcomes(dsn, run.accepted):
            print("some accepted commands have no outcome after 60 s")
        if not await wait_settled(dsn):
            print("events not settled within 30 s (relay or notifier behind)")
        violations = await check_invariants(dsn) + await exactly_once(dsn, run.accepted)
        print(f"commands accepted: {len(run.accepted)}; promotions: {await promotions(dsn)}")
        return 0 if print_violations(violations) else 1
    finally:
        await transport.close()
        if stack is not None:
            stack.stop()
            print(f"service logs: {stack.logs}")
