"""Message rules: which patient is told what, in which language, through which channels (pure)."""

import hashlib
import hmac
import random
from datetime import UTC, datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from notifier.messages import DoctorInfo, notifications_for
from notifier.templates import MESSAGES
from shared.backoff import backoff_seconds
from shared.contracts.reasons import ReasonCode
from shared.i18n.catalogs import choose_language
from shared.signatures import signature
from shared.status_links import StatusLinks
from tests.support.notifier import token_event, token_view

ZONE = ZoneInfo("Asia/Kolkata")
PATIENT_EVENTS = [
    "token.confirmed",
    "token.waitlisted",
    "token.promoted",
    "token.moved",
    "token.eta_changed",
    "token.up_next",
    "token.called",
    "token.recalled",
    "token.cancelled",
    "token.doctor_delayed",
    "token.no_show",
]
DOCTOR = DoctorInfo(name="Dr. Asha Rao", room="12")


def _token(**overrides: object):  # type: ignore[no-untyped-def]
    return token_view(uuid4(), estimated_time=datetime(2026, 12, 1, 4, 10, tzinfo=UTC), **overrides)


def test_every_patient_facing_event_has_a_message() -> None:
    assert set(MESSAGES) == set(PATIENT_EVENTS)


@pytest.mark.parametrize("event_type", PATIENT_EVENTS)
@pytest.mark.parametrize("language", ["en", "hi"])
def test_each_message_names_the_token_and_fills_every_blank(event_type: str, language: str) -> None:
    token = _token(language=language, waitlist_position=3)
    event = token_event(event_type, token, reason="doctor on leave", code=ReasonCode.DOCTOR_UNAVAILABLE)
    [note] = notifications_for(event, ZONE, doctor=DOCTOR)
    assert note.language == language
    assert note.text.startswith("[D1-20261201-T001] ")
    assert "T001" in note.text and "{" not in note.text and "None" not in note.text
    if language == "hi":
        assert "टोकन" in note.text


@pytest.mark.parametrize(("language", "lead"), [("en", "Follow your token live: "), ("hi", "अपने टोकन की ताज़ा")])
def test_the_booking_messages_carry_the_status_link_and_no_other_does(language: str, lead: str) -> None:
    links = StatusLinks(b"a-secret-of-sixteen-or-more", "https://opd.example.org")
    token = _token(language=language, waitlist_position=2)
    link = links.url(token.id, token.date)
    for event_type in PATIENT_EVENTS:
        [note] = notifications_for(token_event(event_type, token), ZONE, doctor=DOCTOR, links=links)
        booking = event_type in ("token.confirmed", "token.waitlisted")
        assert (lead in note.text and note.text.endswith(link)) == booking, event_type
        assert ("/t/" in note.text) == booking


def test_a_confirmation_tells_doctor_room_slot_and_estimated_time() -> None:
    [note] = notifications_for(token_event("token.confirmed", _token()), ZONE, doctor=DOCTOR)
    assert note.text == (
        "[D1-20261201-T001] Token D1-T001 is confirmed with Dr. Asha Rao (room 12) on Tue, 1 Dec, 9:00 AM-10:00 AM. "
        "Expected time: 9:40 AM."
    )


def test_without_the_doctor_or_a_time_the_message_still_reads_well() -> None:
    token = _token().model_copy(update={"estimated_time": None})
    [note] = notifications_for(token_event("token.promoted", token, code=ReasonCode.DOCTOR_UNAVAILABLE), ZONE)
    assert note.text.endswith(
        "now has a seat with the doctor on Tue, 1 Dec, 9:00 AM-10:00 AM. Expected time: to be announced. "
        "The doctor is not available at that time."
    )


def test_the_waitlist_position_and_the_reason_are_told() -> None:
    hindi = token_event("token.waitlisted", _token(language="hi", waitlist_position=4, status="pending"))
    [note] = notifications_for(hindi, ZONE, doctor=DOCTOR)
    assert "क्रमांक 4" in note.text
    cancelled = token_event("token.cancelled", _token(), reason="Dr. Rao: conference", code=ReasonCode.NO_SLOT_LEFT)
    [note] = notifications_for(cancelled, ZONE, doctor=DOCTOR)
    assert (
        "is cancelled. Please book again or ask at the reception desk. The doctor has no time left today." in note.text
    )
    assert "conference" not in note.text  # staff's free text stays with staff


def test_the_language_is_the_patients_else_the_hospitals_default() -> None:
    assert choose_language("hi", "en") == "hi"
    assert choose_language(None, "hi") == "hi"
    assert choose_language("fr", "en") == "en"
    assert choose_language(None, "fr") == "en"
    [note] = notifications_for(token_event("token.called", _token()), ZONE, doctor=DOCTOR, default_language="hi")
    assert note.text.endswith("टोकन D1-T001: कृपया अभी Dr. Asha Rao (कमरा 12) के पास अंदर जाएँ।")


def test_channels_follow_from_what_is_known_about_the_patient() -> None:
    event = token_event("token.up_next", _token(phone="+919800000001", email="p@example.org"))
    every = ("log", "webhook", "email")
    assert [(n.channel, n.recipient) for n in notifications_for(event, ZONE, channels=every)] == [
        ("log", "D1-20261201-T001"),
        ("webhook", "+919800000001"),
        ("email", "p@example.org"),
    ]
    assert [n.channel for n in notifications_for(event, ZONE, channels=("log",))] == ["log"]
    anonymous = token_event("token.up_next", _token())
    assert [n.channel for n in notifications_for(anonymous, ZONE, channels=every)] == ["log"]
    webhook = next(n for n in notifications_for(event, ZONE, channels=every) if n.channel == "webhook")
    assert not webhook.text.startswith("[")
    assert webhook.subject == "Your OPD token D1-T001"


@pytest.mark.parametrize("event_type", ["token.completed", "token.checked_in"])
def test_completed_consultations_and_check_ins_tell_nobody(event_type: str) -> None:
    """At check-in the patient is at the desk, which tells them; the board shows the times."""
    assert notifications_for(token_event(event_type, _token()), ZONE) == []


def test_backoff_grows_exponentially_is_capped_and_jittered() -> None:
    """Also after an hour of retries (the 1025th: 2.0 ** 1024 does not fit a float)."""
    rng = random.Random(7)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (9, 10.0), (1025, 10.0), (10**6, 10.0)]:
        for _ in range(20):
            assert ceiling / 2 <= backoff_seconds(attempt, 1.0, 10.0, rng) <= ceiling


def test_the_webhook_signature_is_the_hmac_of_the_body() -> None:
    body = b'{"to":"+91"}'
    assert signature("s3cret", body) == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
