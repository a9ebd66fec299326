"""JSON Schemas (draft 2020-12) of the public AMQP contract, generated from the pydantic models.

``opd schemas`` writes them to ``docs/schemas/``; a test fails when the committed files are stale. Commands
are described as a client must send them (validation), replies, events and views as clients receive them.
"""

from typing import Any

from pydantic.json_schema import models_json_schema

from shared.contracts.commands import COMMAND_ADAPTER
from shared.contracts.events import EVENT_ADAPTER
from shared.contracts.replies import Reply
from shared.contracts.views import DoctorBrief, DoctorView, SlotView, TokenView

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://opd-token-system.example/schemas/"


def _document(name: str, title: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": DIALECT, "$id": BASE_ID + name, "title": title, "description": description, **schema}


def _views() -> dict[str, Any]:
    _, schema = models_json_schema(
        [(model, "serialization") for model in (TokenView, DoctorBrief, DoctorView, SlotView)], by_alias=True
    )
    return schema


def contract_schemas() -> dict[str, dict[str, Any]]:
    """File name → schema document, in a stable order."""
    return {
        "command.json": _document(
            "command.json",
            "Command",
            "A command published to the commands exchange; `type` selects the shape (see $defs).",
            COMMAND_ADAPTER.json_schema(by_alias=True, mode="validation"),
        ),
        "reply.json": _document(
            "reply.json",
            "Reply",
            "The allocator's answer to a command, sent to its reply_to with its correlation_id.",
            Reply.model_json_schema(by_alias=True, mode="serialization"),
        ),
        "event.json": _document(
            "event.json",
            "Event",
            "An event on the events exchange; the routing key is its `type`.",
            EVENT_ADAPTER.json_schema(by_alias=True, mode="serialization"),
        ),
        "views.json": _document(
            "views.json",
            "Views",
            "Read models carried in replies (`result.token`, `result.doctor`) and events.",
            _views(),
        ),
    }
