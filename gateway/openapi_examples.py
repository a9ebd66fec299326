"""An example for every request and answer of the OpenAPI document, made from its schema: a value the reader
recognizes for each known field name (one coherent booking: Dr. Mehta, Asha Verma, token D1-T007), else the
first enum value, the minimum, the format's typical value. The suite checks that each example fits its schema."""

from typing import Any

DOCTOR_ID = "3e5e0600-3095-47fa-8f06-e24c4d184dc9"
TOKEN_ID = "0b9d5c1e-6a43-4f0e-9a1d-2c6f1b7e8a55"
SLOT_ID = "7d1f2a9c-3b4e-5f60-8a9b-0c1d2e3f4a5b"
DAY = "2026-12-03"
KNOWN: dict[str, Any] = {
    "doctorId": DOCTOR_ID,
    "tokenId": TOKEN_ID,
    "slotId": SLOT_ID,
    "commandId": "6f1c1b9e-0c53-4b7e-9a8e-3d2b1f0a9c11",
    "name": "Dr. Mehta",
    "code": "D1",
    "specialization": "Cardiology",
    "room": "101",
    "patientName": "Asha Verma",
    "patientAge": 34,
    "patientId": "MRN-204816",
    "phone": "+91 98200 00002",
    "email": "asha.verma@example.org",
    "recipient": "+91 98200 00002",
    "language": "hi",
    "date": DAY,
    "timeSlot": "09:00-10:00",
    "startTime": "09:00",
    "endTime": "10:00",
    "maxCapacity": 6,
    "currentCount": 4,
    "reservedEmergencySlots": 1,
    "tokenNumber": "D1-20261203-T007",
    "shortNumber": "T007",
    "position": 4,
    "waitlistPosition": 2,
    "estimatedTime": "2026-12-03T09:40:00+05:30",
    "estimatedWaitTime": 40,
    "minutes": 20,
    "reason": "ward round ran over",
    "cancelCode": "K7Q2M-9XDAB",
    "message": "Token created successfully",
    "error": "no seat left in 09:00-10:00 on 2026-12-03",
    "text": "Token D1-T007 is confirmed with Dr. Mehta (room 101) on Thu, 3 Dec, 9:00 AM-10:00 AM.",
    "workingDays": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
    "statusUrl": "/api/commands/6f1c1b9e-0c53-4b7e-9a8e-3d2b1f0a9c11",
    "source": "online",
    "priority": 4,
    "status": "confirmed",
    "isEmergency": False,
    "overflow": False,
    "waitlist": True,
}
NOT_YET = frozenset({"checkedInAt", "calledAt", "completedAt", "waitlistPosition", "actualTime"})  # null here
FORMATS = {
    "uuid": TOKEN_ID,
    "date": DAY,
    "date-time": "2026-12-03T09:05:00+05:30",
    "time": "09:00:00",
    "email": "asha.verma@example.org",
}
DEPTH = 8


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    """A cheap check that a known value suits the field (the suite validates the whole example)."""
    kind = schema.get("type")
    if "enum" in schema:
        return value in schema["enum"]
    if kind == "string":
        return isinstance(value, str) and len(value) <= schema.get("maxLength", len(value))
    if kind == "integer":
        return isinstance(value, int) and schema.get("minimum", value) <= value <= schema.get("maximum", value)
    if kind == "array":
        return isinstance(value, list)
    if kind == "boolean":
        return isinstance(value, bool)
    return kind is None and not any(key in schema for key in ("properties", "anyOf", "oneOf"))


def _scalar(schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "string":
        return FORMATS.get(schema.get("format", ""), "text")
    if kind == "integer":
        return max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
    if kind == "number":
        return max(schema.get("minimum", 1.5), 1.5)
    if kind == "boolean":
        return True
    return None


def example(schema: dict[str, Any], components: dict[str, Any], name: str | None = None, depth: int = 0) -> Any:
    """A value for ``schema`` (``name`` is the property it is for, when known)."""
    schema = _resolve(schema, components)
    for key in ("const", "default"):
        if key in schema and schema[key] is not None:
            return schema[key]
    if name in NOT_YET and any(_resolve(o, components).get("type") == "null" for o in schema.get("anyOf", [])):
        return None
    if name in KNOWN and _fits(KNOWN[name], schema):
        return KNOWN[name]
    if "enum" in schema:
        return schema["enum"][0]
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        chosen = [o for o in options if _resolve(o, components).get("type") != "null"] or options
        return example(chosen[0], components, name, depth)
    kind = schema.get("type")
    if kind == "array":
        if depth >= DEPTH:
            return []
        item = example(schema.get("items", {}), components, None, depth + 1)
        return [item] * max(1, schema.get("minItems", 1))
    if kind == "object" or "properties" in schema:
        if depth >= DEPTH:
            return {}
        properties = schema.get("properties", {})
        return {key: example(value, components, key, depth + 1) for key, value in properties.items()}
    return _scalar(schema)
