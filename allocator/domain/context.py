"""What a handler knows besides the state: when it runs, and anything the shell reserved for it."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class CommandContext:
    now: datetime
    command_id: UUID
    doctor_code: str | None = None
