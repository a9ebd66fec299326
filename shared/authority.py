"""Who may send which command: the one role table the gateway and the allocator both enforce.

Roles are ranked: ``admin`` includes ``staff``, which includes ``booking`` (a desk clerk also books); ``system``
(the allocator's own clock) is above them all. Every command type declares the least role it needs here; a type
that declares none is refused to everyone. REST callers get their role from their API key; a broker user gets
it from the broker role table (``OPD_BROKER_USERS``), except a relay (the gateway), which acts as the caller it
names in the command and has no rights of its own.
"""

from dataclasses import dataclass

from shared.contracts.caller import KEY_ROLES, Role
from shared.contracts.commands import AnyCommand
from shared.contracts.values import TokenSource

LEAST_ROLE: dict[str, Role] = {
    "CreateDoctor": Role.ADMIN,
    "UpdateDoctorSlots": Role.ADMIN,
    "MarkDoctorUnavailable": Role.ADMIN,
    "BookToken": Role.BOOKING,  # an emergency source needs staff: see ``required_role``
    "AddEmergency": Role.STAFF,
    "CancelToken": Role.BOOKING,  # below staff, only with the token's cancel code
    "MarkNoShow": Role.STAFF,
    "CheckIn": Role.STAFF,
    "CallNext": Role.STAFF,
    "CompleteToken": Role.STAFF,
    "RecallToken": Role.BOOKING,  # below staff, only with the token's cancel code: "I'm running late"
    "DelayDoctor": Role.STAFF,
    "Reallocate": Role.STAFF,
    "Tick": Role.SYSTEM,
}
CODE_FREE_ROLE = Role.STAFF
"""From this role on, a caller acts on any token; below it, only on a token whose cancel code it presents."""


def required_role(command: AnyCommand) -> Role | None:
    """The least role that may send this command; None: nobody may (a type without a declared role)."""
    kind: str = command.type
    least = LEAST_ROLE.get(kind)
    if least is None:
        return None
    source = getattr(getattr(command, "payload", None), "source", None)
    if kind == "BookToken" and source == TokenSource.EMERGENCY and not least.includes(Role.STAFF):
        return Role.STAFF
    return least


@dataclass(frozen=True, slots=True)
class BrokerUser:
    """A broker login's place in the role table: a role of its own, and whether it may relay for a caller."""

    role: Role | None
    relays: bool = False


RELAY = "gateway"


class InvalidBrokerUsers(ValueError):
    """An ``OPD_BROKER_USERS`` entry that cannot be read."""


def parse_broker_users(text: str) -> dict[str, BrokerUser]:
    """``user:role`` entries, comma-separated; role is a role name, ``gateway`` (a relay) or ``none``.

    ``system`` users (the allocator, a development broker's guest) may relay too: naming a caller only lowers
    what they may do.
    """
    users: dict[str, BrokerUser] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        user, _, role = entry.rpartition(":")
        if not user:
            raise InvalidBrokerUsers(f"broker user entry {entry!r}: expected user:role")
        if role == RELAY:
            users[user] = BrokerUser(None, relays=True)
        elif role == "none":
            users[user] = BrokerUser(None)
        else:
            try:
                parsed = Role(role)
            except ValueError:
                names = ", ".join([*Role, RELAY, "none"])
                raise InvalidBrokerUsers(f"broker user {user!r}: role {role!r} is not one of {names}") from None
            users[user] = BrokerUser(parsed, relays=parsed is Role.SYSTEM)
    return users


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a command acts for, once its publisher is known: the issuer's name (commands belong to it) and role."""

    issuer: str
    role: Role

    def may(self, role: Role) -> bool:
        return self.role.includes(role)


class Unauthorized(Exception):
    """The publisher cannot be trusted for this command; ``str()`` says why (for the dead-letter reason)."""


def principal_of(user_id: str | None, command: AnyCommand, users: dict[str, BrokerUser]) -> Principal:
    """The principal of a command published by broker user ``user_id`` (the broker validated it)."""
    if not user_id:
        raise Unauthorized("the message has no user_id: publish with user_id set to your broker login")
    user = users.get(user_id)
    if user is None:
        raise Unauthorized(f"broker user {user_id!r} has no role")
    caller = command.caller
    if caller is not None:
        if not user.relays:
            raise Unauthorized(f"broker user {user_id!r} may not act on behalf of another caller")
        if caller.role not in KEY_ROLES:
            raise Unauthorized(f"a relayed caller cannot have the {caller.role} role")
        return Principal(f"api:{caller.name}", caller.role)
    if user.role is None:
        raise Unauthorized(f"broker user {user_id!r} must name the caller it acts for")
    return Principal(f"amqp:{user_id}", user.role)


def authorize(principal: Principal, command: AnyCommand) -> None:
    """Raise Unauthorized unless the principal's role reaches the command's least role."""
    needed = required_role(command)
    kind = command.type
    if needed is None:
        raise Unauthorized(f"{kind} declares no role: nobody may send it")
    if not principal.may(needed):
        raise Unauthorized(f"{kind} needs the {needed} role; {principal.issuer} has {principal.role}")
