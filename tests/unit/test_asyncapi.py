"""The published AMQP contract (docs/asyncapi.yaml + docs/schemas) describes what the code really sends."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from shared.authority import LEAST_ROLE
from shared.codec import COMMAND_BY_TYPE, decode_command, encode
from shared.contracts.events import EVENT_ADAPTER
from shared.contracts.replies import ErrorInfo, Reply
from shared.routing import shard_for
from tests.support.commands import book_command, create_doctor_command

DOCS = Path(__file__).resolve().parents[2] / "docs"
SPEC: dict[str, Any] = yaml.safe_load((DOCS / "asyncapi.yaml").read_text())
SCHEMAS = {path.name: json.loads(path.read_text()) for path in (DOCS / "schemas").glob("*.json")}
REGISTRY: Registry = Registry().with_resources(
    (schema["$id"], Resource.from_contents(schema)) for schema in SCHEMAS.values()
)


def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMAS[name], registry=REGISTRY)


def _resolve(ref: str) -> Any:
    """Follow a $ref of the spec: internal (#/...) or into docs/schemas (file.json#/...)."""
    document, _, pointer = ref.partition("#")
    node: Any = SCHEMAS[Path(document).name] if document else SPEC
    for part in filter(None, pointer.split("/")):
        node = node[part]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [node["$ref"]] if "$ref" in node else [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_it_is_asyncapi_3_and_every_reference_resolves() -> None:
    assert SPEC["asyncapi"].startswith("3.")
    for ref in _refs(SPEC):
        assert _resolve(ref) is not None, ref


def test_every_command_type_is_a_message_of_the_commands_channel() -> None:
    messages = SPEC["channels"]["commands"]["messages"]
    assert set(messages) == set(COMMAND_BY_TYPE)
    for kind in COMMAND_BY_TYPE:
        message = _resolve(messages[kind]["$ref"])
        assert message["payload"]["$ref"] == f"schemas/command.json#/$defs/{kind}"


def test_every_event_type_is_a_message_of_the_events_channel() -> None:
    names = {_resolve(m["$ref"])["name"] for m in SPEC["channels"]["events"]["messages"].values()}
    assert names == set(SCHEMAS["event.json"]["discriminator"]["mapping"])
    assert len(names) == len(EVENT_ADAPTER.json_schema()["oneOf"])


def test_the_worked_routing_examples_are_what_the_code_computes() -> None:
    description = SPEC["info"]["description"]
    examples = re.findall(r"doctorId `([0-9a-f-]{36})` .*?`shard\.(\d)`", description, re.DOTALL)
    assert len(examples) == 2
    for doctor, shard in examples:
        assert shard_for(UUID(doctor), 4) == int(shard)


def test_real_commands_and_replies_validate_against_the_published_schemas() -> None:
    commands = [create_doctor_command(), book_command(uuid4(), "Schema Check", phone="+91 98200 33333")]
    for command in commands:
        _validator("command.json").validate(json.loads(encode(command)))
    refusal = Reply(command_id=uuid4(), ok=False, error=ErrorInfo(code="SLOT_FULL", message="no seat"))
    _validator("reply.json").validate(json.loads(encode(refusal)))


@pytest.mark.parametrize("kind", ["Teleport", None])
def test_the_schema_refuses_what_the_allocator_refuses(kind: str | None) -> None:
    body = json.loads(encode(book_command(uuid4(), "Schema Check")))
    body["type"] = kind
    assert not _validator("command.json").is_valid(body)


def test_the_spec_examples_are_valid_commands() -> None:
    example = SPEC["components"]["messages"]["BookToken"]["examples"][0]["payload"]
    command = decode_command(json.dumps(example))
    assert command.issued_at < datetime(2027, 1, 1, tzinfo=UTC)
    _validator("command.json").validate(example)


def test_every_command_message_states_the_least_role_the_allocator_enforces() -> None:
    messages = SPEC["components"]["messages"]
    stated = {name: message["x-opd-least-role"] for name, message in messages.items() if name in LEAST_ROLE}
    assert stated == {kind: role.value for kind, role in LEAST_ROLE.items()}
