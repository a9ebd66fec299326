"""One codec for every message on the wire: JSON bytes in, validated contracts out (and back)."""

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError

from shared.contracts.commands import COMMAND_TYPES, Command
from shared.contracts.events import EVENT_ADAPTER, Event
from shared.contracts.replies import Reply

REPLY_ADAPTER: TypeAdapter[Reply] = TypeAdapter(Reply)
Decoded = TypeVar("Decoded")

CONTENT_TYPE = "application/json"


SUPPORTED_SCHEMA_VERSIONS = (1,)
COMMAND_BY_TYPE = {kind.model_fields["type"].default: kind for kind in COMMAND_TYPES}


class DecodeError(ValueError):
    """A message that is not valid JSON or does not match its contract; ``errors`` lists the fields.

    ``code`` is the machine code a client is answered with (an ``ErrorCode`` value).
    """

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None, code: str = "INVALID_COMMAND") -> None:
        super().__init__(message)
        self.errors = errors or []
        self.code = code


def encode(message: BaseModel) -> bytes:
    return message.__pydantic_serializer__.to_json(message, by_alias=True)


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def _has_nul(value: Any) -> bool:
    """A NUL character in any string of a decoded JSON value (PostgreSQL text cannot hold one)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    return isinstance(value, list) and any(_has_nul(item) for item in value)


def _may_hold_nul(body: bytes | str) -> bool:
    """Whether the JSON text could decode to a NUL: valid JSON carries one only as the escape ``\\u0000`` (a raw
    one is malformed), so without that escape no string can hold one, and the decoded value need not be walked.
    Any other kind of buffer is walked."""
    if isinstance(body, str):
        return "\\u0000" in body
    if isinstance(body, bytes | bytearray):
        return b"\\u0000" in body
    return True


def loads(body: bytes | str, refuse_nul: bool = True) -> Any:
    """JSON; text with a NUL character (``\\u0000``) is refused like malformed JSON, unless ``refuse_nul`` is
    False (what the services send each other: it was checked on the way in, and PostgreSQL holds none)."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"malformed JSON: {exc}") from exc
    if refuse_nul and _may_hold_nul(body) and _has_nul(value):
        raise DecodeError("text must not contain NUL characters (\\u0000)")
    return value


def field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as plain JSON: where, what, why."""
    return [
        {"field": ".".join(str(part) for part in err["loc"]), "message": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def _validate(adapter: TypeAdapter[Decoded], body: bytes | str, what: str) -> Decoded:
    """An event or a reply: written by the allocator from validated commands and stored rows, no NUL scan."""
    data = loads(body, refuse_nul=False)
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        raise DecodeError(f"invalid {what}", field_errors(exc)) from exc


def decode_command(body: bytes | str) -> Command:
    """A command, or a DecodeError saying precisely what is wrong: JSON, type, schema version or fields."""
    data = loads(body)
    if not isinstance(data, dict):
        raise DecodeError("a command must be a JSON object")
    kind = data.get("type")
    model = COMMAND_BY_TYPE.get(kind) if isinstance(kind, str) else None
    if model is None:
        known = ", ".join(COMMAND_BY_TYPE)
        raise DecodeError(f"unknown command type {kind!r}; known types: {known}", code="UNKNOWN_COMMAND_TYPE")
    version = data.get("schemaVersion", 1)
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        supported = ", ".join(map(str, SUPPORTED_SCHEMA_VERSIONS))
        raise DecodeError(
            f"schemaVersion {version!r} is not supported (supported: {supported})", code="UNSUPPORTED_SCHEMA_VERSION"
        )
    try:
        return model.model_validate(data)  # type: ignore[return-value]
    except ValidationError as exc:
        raise DecodeError(f"invalid {kind} command", field_errors(exc)) from exc


def decode_event(body: bytes | str) -> Event:
    return _validate(EVENT_ADAPTER, body, "event")


def decode_reply(body: bytes | str) -> Reply:
    return _validate(REPLY_ADAPTER, body, "reply")
