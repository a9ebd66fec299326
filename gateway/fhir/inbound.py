"""What we read from a client's Appointment (booking, cancelling) and JSON Patch, and the command payloads made
of them. Elements not named here are ignored."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, StrictInt
from pydantic.alias_generators import to_camel

from gateway.fhir import mapping, terms
from gateway.requests import BadRequest


class Element(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True)


class Extension(Element):
    url: str
    value_code: str | None = None
    value_integer: StrictInt | None = None


class Identifier(Element):
    system: str | None = None
    value: str | None = None


class Reference(Element):
    reference: str | None = None
    type: str | None = None
    identifier: Identifier | None = None
    display: str | None = None


class Participant(Element):
    extension: list[Extension] = []
    actor: Reference | None = None


class Concept(Element):
    text: str | None = None


class AppointmentIn(Element):
    """A booking: the practitioner, the patient (name as ``display``, age in ``patient-age``), a Slot or a date."""

    resource_type: Literal["Appointment"]
    id: str | None = None
    status: str
    extension: list[Extension] = []
    participant: list[Participant] = Field(min_length=1)
    slot: list[Reference] = []
    start: str | None = None
    cancelation_reason: Concept | None = None


class PatchOperation(Element):
    op: Literal["add", "replace", "remove", "test", "move", "copy"]
    path: str
    value: Any = None


class JsonPatch(RootModel[list[PatchOperation]]):
    """A JSON Patch document (RFC 6902)."""


def _extension(extensions: list[Extension], url: str) -> Extension | None:
    return next((e for e in extensions if e.url == url), None)


def _is_patient(participant: Participant) -> bool:
    actor = participant.actor
    return actor is not None and (actor.type == "Patient" or (actor.reference or "").startswith("Patient/"))


def _practitioner(resource: AppointmentIn) -> str | None:
    for participant in resource.participant:
        reference = participant.actor.reference if participant.actor else None
        if reference and reference.startswith("Practitioner/"):
            return reference.removeprefix("Practitioner/")
    return None


def booking(resource: AppointmentIn) -> dict[str, Any]:
    """The BookToken payload (camelCase, validated by the command) for a booked Appointment."""
    if resource.status not in ("proposed", "pending", "booked"):
        raise BadRequest("a new Appointment's status must be proposed, pending or booked")
    patient = next((p for p in resource.participant if _is_patient(p)), None)
    if patient is None or patient.actor is None or not patient.actor.display:
        raise BadRequest("a patient participant with the patient's name as actor.display is required")
    age = _extension(patient.extension, terms.PATIENT_AGE)
    source = _extension(resource.extension, terms.TOKEN_SOURCE)
    payload: dict[str, Any] = {
        "patientName": patient.actor.display,
        "source": source.value_code if source and source.value_code else "walkin",
    }
    if age is not None and age.value_integer is not None:
        payload["patientAge"] = age.value_integer
    if patient.actor.identifier is not None and patient.actor.identifier.value:
        field = "phone" if patient.actor.identifier.system == terms.PHONE else "patientId"
        payload[field] = patient.actor.identifier.value
    doctor = _practitioner(resource)
    if resource.slot:
        parsed = mapping.parse_slot_id((resource.slot[0].reference or "").removeprefix("Slot/"))
        if parsed is None:
            raise BadRequest("slot must reference a Slot of this server (Slot/<id>)")
        slot_doctor, day, start, end = parsed
        if doctor is not None and doctor != str(slot_doctor):
            raise BadRequest("the Slot belongs to another practitioner")
        doctor = str(slot_doctor)
        payload |= {"date": day.isoformat(), "timeSlot": {"startTime": f"{start:%H:%M}", "endTime": f"{end:%H:%M}"}}
    elif resource.start:
        payload["date"] = resource.start[:10]
    if doctor is None:
        raise BadRequest("a practitioner participant (Practitioner/<id>) or a slot is required")
    return {**payload, "doctorId": doctor}


def cancellation(operations: list[PatchOperation]) -> str | None:
    """The reason of a JSON Patch that sets ``/status`` to cancelled (and maybe ``/cancelationReason``)."""
    status = [o for o in operations if o.path == "/status"]
    others = [o for o in operations if o.path not in ("/status", "/cancelationReason", "/cancelationReason/text")]
    if others or len(status) != 1 or status[0].op not in ("add", "replace") or status[0].value != terms.CANCELLED:
        raise BadRequest("only a patch replacing /status with cancelled is supported (it cancels the token)")
    reason = next((o.value for o in operations if o.path.startswith("/cancelationReason")), None)
    return _reason_text(reason)


def _reason_text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("text")
    return value if isinstance(value, str) and value.strip() else None
