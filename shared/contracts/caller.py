"""Roles and the caller a relayed command acts for: part of the command envelope."""

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from shared.contracts.base import Contract


class Role(StrEnum):
    BOOKING = "booking"
    STAFF = "staff"
    ADMIN = "admin"
    SYSTEM = "system"

    @property
    def rank(self) -> int:
        """Roles rank in the order they are declared, each including those before it."""
        return _RANKS[self]

    def includes(self, other: "Role") -> bool:
        return self.rank >= other.rank


_RANKS = {role: rank for rank, role in enumerate(Role)}  # asked on every request: not re-read from the enum

KEY_ROLES = (Role.BOOKING, Role.STAFF, Role.ADMIN)
"""The roles an API key (or a caller named by a relay) may have: ``system`` belongs to no person."""


class Caller(Contract):
    """Who asked: an API key's name and role, as the gateway names it in the commands it relays."""

    name: Annotated[str, Field(min_length=1, max_length=64)]
    role: Role

    def may(self, role: Role) -> bool:
        return self.role.includes(role)
