"""The hospital policies a stochastic day can be played under, and ``--compare`` specs naming two of them.

- ``reserve``: emergency seats kept in every slot until it starts (the slot templates' reservedEmergencySlots);
- ``quotas``: online bookings capped at 40 % of a slot and follow-ups at 20 % (their unused seats held for them
  until the slot starts), so walk-ins keep the rest;
- ``realloc``: waitlisting and promotion into freed seats. The domain promotes whenever someone waits and has no
  switch for it, so "off" is played as bookings without a waitlist: a patient finding no seat is turned away and
  a freed seat goes only to a later newcomer.
"""

from dataclasses import dataclass, replace
from datetime import time

from shared.contracts.values import SlotTemplate, TokenSource

ONLINE_QUOTA = 0.4
FOLLOWUP_QUOTA = 0.2
COMPARABLE = {"reserve": ("0", "1"), "quotas": ("off", "on"), "realloc": ("on", "off")}


@dataclass(frozen=True, slots=True)
class PlayPolicy:
    reserve: int = 1
    quotas: bool = False
    realloc: bool = True

    def settings(self) -> dict[str, str]:
        """Each policy knob by its ``--compare`` name."""
        quotas, realloc = ("on" if switch else "off" for switch in (self.quotas, self.realloc))
        return {"reserve": str(self.reserve), "quotas": quotas, "realloc": realloc}

    def describe(self, leaving_out: str = "") -> str:
        return ", ".join(f"{knob} {value}" for knob, value in self.settings().items() if knob != leaving_out)

    def template(self, start: time, end: time, capacity: int) -> SlotTemplate:
        reserve = min(self.reserve, capacity - 1)
        quotas: dict[TokenSource, int] = {}
        if self.quotas:
            online = max(1, int(capacity * ONLINE_QUOTA))
            followup = int(capacity * FOLLOWUP_QUOTA)
            room = capacity - reserve
            quotas = {TokenSource.ONLINE: min(online, room), TokenSource.FOLLOWUP: max(0, min(followup, room - online))}
        return SlotTemplate(
            start_time=start, end_time=end, max_capacity=capacity, reserved_emergency_slots=reserve, quotas=quotas
        )


def _switch(value: str, what: str) -> bool:
    if value not in ("on", "off"):
        raise ValueError(f"{what} is on or off, not {value!r}")
    return value == "on"


def compare_policies(spec: str, base: PlayPolicy) -> tuple[tuple[str, PlayPolicy], tuple[str, PlayPolicy]]:
    """``reserve``, ``quotas``, ``realloc``, optionally with the two values: ``reserve:0,2``, ``quotas:off,on``.

    Everything else comes from ``base``. Returns two (label, policy) pairs.
    """
    kind, _, values = spec.partition(":")
    kind = kind.strip().lower()
    if kind not in COMPARABLE:
        raise ValueError(f"--compare takes one of {', '.join(COMPARABLE)} (e.g. reserve:0,1), not {spec!r}")
    pair = tuple(v.strip().lower() for v in values.split(",")) if values else COMPARABLE[kind]
    if len(pair) != 2:
        raise ValueError(f"--compare {kind} takes two values, e.g. {kind}:{','.join(COMPARABLE[kind])}")
    policies = []
    for value in pair:
        if kind == "reserve":
            if not value.isdigit():
                raise ValueError(f"reserve takes seat counts, not {value!r}")
            policies.append((f"reserve {value}", replace(base, reserve=int(value))))
        elif kind == "quotas":
            policies.append((f"quotas {value}", replace(base, quotas=_switch(value, kind))))
        else:
            policies.append((f"realloc {value}", replace(base, realloc=_switch(value, kind))))
    return policies[0], policies[1]
