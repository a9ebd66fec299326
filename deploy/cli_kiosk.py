"""``opd kiosk``: book, emergency and cancel straight over RabbitMQ, as a registration kiosk does.

Exit codes: 0 done, 1 refused (the reason is printed), 3 outcome unknown (retry with the printed command id).
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any
from uuid import UUID

import typer

from deploy.kiosk.client import Kiosk, KioskError, Refused, RetrySafely
from deploy.kiosk.settings import KioskSettings
from deploy.kiosk.slip import cancellation_note, token_slip
from shared.command_bus import BrokerUnavailable
from shared.contracts.values import TimeRange, TokenSource
from shared.startup import StartupError, broker_problem

kiosk_app = typer.Typer(help="Act as a registration kiosk: commands straight to RabbitMQ.", no_args_is_help=True)

DoctorOption = Annotated[UUID, typer.Option("--doctor", help="the doctor's id (GET /api/doctors lists them)")]
NameOption = Annotated[str, typer.Option("--name", help="patient name")]
AgeOption = Annotated[int, typer.Option("--age", min=0, max=130, help="patient age")]
PhoneOption = Annotated[str | None, typer.Option("--phone", help="for SMS/WhatsApp updates")]
LanguageOption = Annotated[str | None, typer.Option("--language", help="message language, e.g. en or hi")]
CommandIdOption = Annotated[
    UUID | None, typer.Option("--command-id", help="retry an earlier request whose outcome is unknown")
]
TimeoutOption = Annotated[float, typer.Option("--timeout", min=0.1, help="seconds to wait for the answer")]


def _slip(result: dict[str, Any]) -> str:
    """The slip in the patient's language, with the cancel code the allocator gave with the booking."""
    return token_slip(result, KioskSettings().slip(), result.get("cancelCode"))


def _run(
    timeout: float, call: Callable[[Kiosk], Awaitable[dict[str, Any]]], show: Callable[[dict[str, Any]], str]
) -> None:
    settings = KioskSettings()

    async def go() -> dict[str, Any]:
        async with Kiosk(settings.amqp_url, settings.broker_prefix, settings.shard_count, timeout=timeout) as kiosk:
            return await call(kiosk)

    try:
        result = asyncio.run(go())
    except BrokerUnavailable as exc:  # connecting failed: say which setting to fix
        raise StartupError(broker_problem(exc.__cause__ or exc, settings.amqp_url)) from exc
    except RetrySafely as exc:
        typer.echo(f"Not confirmed: {exc}", err=True)
        raise typer.Exit(3) from exc
    except Refused as exc:
        typer.echo(f"Refused: {exc.error.message} ({exc.error.code})", err=True)
        raise typer.Exit(1) from exc
    except KioskError as exc:  # connecting failed before anything was sent
        typer.echo(f"Not sent: {exc}", err=True)
        raise typer.Exit(3) from exc
    typer.echo(show(result))


@kiosk_app.command()
def book(
    doctor: DoctorOption,
    name: NameOption,
    age: AgeOption,
    source: Annotated[TokenSource, typer.Option(help="walkin at a kiosk; online/followup/priority at a desk")] = (
        TokenSource.WALKIN
    ),
    phone: PhoneOption = None,
    language: LanguageOption = None,
    slot: Annotated[str | None, typer.Option(help="a slot like 09:00-10:00; default the earliest with a seat")] = None,
    day: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD; default today")] = None,
    command_id: CommandIdOption = None,
    timeout: TimeoutOption = 10.0,
) -> None:
    """Book a token and print its slip (waitlisted with a position when the slot is full)."""
    try:
        time_slot = TimeRange.model_validate(slot) if slot else None
        wanted = date.fromisoformat(day) if day else None
    except ValueError as exc:
        raise typer.BadParameter(f"--slot like 09:00-10:00 and --date like 2026-12-01 ({exc})") from exc
    _run(
        timeout,
        lambda kiosk: kiosk.book(
            doctor,
            name,
            age,
            source=source,
            phone=phone,
            language=language,
            time_slot=time_slot,
            day=wanted,
            command_id=command_id,
        ),
        _slip,
    )


@kiosk_app.command()
def emergency(
    doctor: DoctorOption,
    name: NameOption,
    age: AgeOption,
    phone: PhoneOption = None,
    language: LanguageOption = None,
    command_id: CommandIdOption = None,
    timeout: TimeoutOption = 10.0,
) -> None:
    """Register an emergency patient with a doctor and print the slip."""
    _run(
        timeout,
        lambda kiosk: kiosk.emergency(doctor, name, age, phone=phone, language=language, command_id=command_id),
        _slip,
    )


@kiosk_app.command()
def cancel(
    token: Annotated[str, typer.Argument(help="token number (D3-20261201-T007) or token id")],
    doctor: DoctorOption,
    reason: Annotated[str | None, typer.Option(help="why, for the record")] = None,
    code: Annotated[str | None, typer.Option(help="the patient's cancel code (on the slip): kiosks need it")] = None,
    command_id: CommandIdOption = None,
    timeout: TimeoutOption = 10.0,
) -> None:
    """Cancel a token; the freed seat goes to the best waiting patient."""
    _run(timeout, lambda kiosk: kiosk.cancel(doctor, token, reason, command_id, code), cancellation_note)
