"""One codec for every message on the wire: JSON bytes in, validated contracts out (and back)."""

from typing import Any

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError

from shared.contracts.commands import COMMAND_ADAPTER, Command
from shared.contracts.events import EVENT_ADAPTER, Event
from shared.contracts.replies import Reply

REPLY_ADAPTER: TypeAdapter[Reply] = TypeAdapter(Reply)

CONTENT_TYPE = "application/json"


class DecodeError(ValueError):
    """A message that is not valid JSON or does not match its contract; ``errors`` lists the fields."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


def encode(message: BaseModel) -> bytes:
    return message.__pydantic_serializer__.to_json(message, by_alias=True)


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def loads(body: bytes | str) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"malformed JSON: {exc}") from exc


def field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as plain JSON: where, what, why."""
    return [
        {"field": ".".join(str(part) for part in err["loc"]), "message": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def _validate(adapter: Any, body: bytes | str, what: str) -> Any:
    data = loads(body)
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        raise DecodeError(f"invalid {what}", field_errors(exc)) from exc


def decode_command(body: bytes | str) -> Command:
    return _validate(COMMAND_ADAPTER, body, "command")  # type: ignore[no-any-return]


def decode_event(body: bytes | str) -> Event:
    return _validate(EVENT_ADAPTER, body, "event")  # type: ignore[no-any-return]


def decode_reply(body: bytes | str) -> Reply:
    return _validate(REPLY_ADAPTER, body, "reply")  # type: ignore[no-any-return]
