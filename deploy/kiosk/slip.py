"""The token slip a kiosk prints, in the patient's language: where to go, when, and the code to cancel with."""

import io
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import segno

from shared.i18n.catalogs import N_, Translator, choose_language, translator
from shared.i18n.times import LocalTimes
from shared.ids import hall_number

WIDTH = 40


@dataclass(frozen=True, slots=True)
class SlipSettings:
    """What the hospital sets once per kiosk."""

    zone: ZoneInfo
    hospital: str = "OPD"
    default_language: str = "en"


def _place(token: dict[str, Any], language: Translator) -> tuple[str, str]:
    if token["status"] == "pending":
        where = language.text(
            N_("number {position}; we will message you when a seat is free"), position=token["waitlistPosition"]
        )
        return language.text(N_("Waiting list")), where
    return language.text(N_("Position")), language.text(N_("{position} in the queue"), position=token["position"])


def _rows(result: dict[str, Any], language: Translator, times: LocalTimes, code: str | None) -> list[tuple[str, str]]:
    token, doctor = result["token"], result.get("doctor") or {}
    slot = token["timeSlot"]
    eta = token.get("estimatedTime")
    span = times.span(time.fromisoformat(slot["startTime"]), time.fromisoformat(slot["endTime"]))
    rows = [
        (language.text(N_("Token")), hall_number(token["tokenNumber"])),
        (language.text(N_("Doctor")), f"{doctor.get('name', '-')}, {doctor.get('specialization', '-')}"),
        (language.text(N_("Room")), doctor.get("room") or "-"),
        (language.text(N_("Day")), times.day(date.fromisoformat(token["date"]))),
        (language.text(N_("Slot")), span),
        _place(token, language),
        (language.text(N_("Expected at")), times.clock(datetime.fromisoformat(eta)) if eta else "-"),
    ]
    if token["isEmergency"]:
        rows.insert(1, (language.text(N_("Priority")), language.text(N_("EMERGENCY"))))
    if code:
        rows.append((language.text(N_("Cancel code")), code))
    return rows


def _follow(result: dict[str, Any], language: Translator) -> list[str]:
    """The status link as a QR code to scan, and on a line of its own (a URL is not cut), when the reply has one."""
    page = result.get("statusPage")
    if not page:
        return []
    return [language.text(N_("Follow your token live:")), *_qr(page), page, "-" * WIDTH]


def _qr(text: str) -> list[str]:
    """``text`` as a QR code drawn with block characters, two modules a line; none when it would not fit."""
    drawn = io.StringIO()
    segno.make(text, error="m").terminal(out=drawn, compact=True, border=1)
    lines = drawn.getvalue().rstrip("\n").split("\n")
    return lines if max(len(line) for line in lines) <= WIDTH else []


def token_slip(result: dict[str, Any], settings: SlipSettings, cancel_code: str | None = None) -> str:
    """A fixed-width slip for a booking or emergency result (``{"token": ..., "doctor": ...}``)."""
    token = result["token"]
    language = translator(choose_language(token.get("language"), settings.default_language))
    rows = _rows(result, language, LocalTimes(language.locale, settings.zone), cancel_code)
    rule = "-" * WIDTH
    column = max(len(label) for label, _ in rows) + 2
    body = [f"{label:<{column}}{value}" for label, value in rows]
    keep = language.text(N_("Keep this slip. To cancel, give the cancel code at the desk."))
    footer = [keep if cancel_code else language.text(N_("Keep this slip.")), token["tokenNumber"]]
    follow = _follow(result, language)
    return "\n".join([rule, settings.hospital.center(WIDTH), rule, *body, rule, *follow, *footer])


def cancellation_note(result: dict[str, Any]) -> str:
    """For the desk's operator (staff language: English)."""
    token = result["token"]
    freed = "; the seat goes to the next waiting patient" if result.get("seatFreed") else ""
    return f"Token {token['tokenNumber']} is {token['status']}{freed}."
