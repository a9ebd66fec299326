"""The state one batch works on: loaded doctors and days, what changed, and the events to publish."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Generic, TypeVar
from uuid import UUID

from allocator.domain.day import Day
from allocator.domain.model import Doctor, Slot, Token
from allocator.domain.policy import Policy
from shared.contracts.base import Contract
from shared.contracts.events import EventBase, TokenPayload
from shared.contracts.values import SlotStatus, SlotTemplate
from shared.contracts.views import TokenView
from shared.ids import slot_id

P = TypeVar("P", covariant=True)
Drafted = TypeVar("Drafted", bound=Contract)


@dataclass(frozen=True, slots=True)
class EventDraft(Generic[P]):
    """An event before the shell gives it an id, a time and the doctor's next sequence number. Its payload is meant
    to be of its kind's payload type; the event refuses it otherwise, as the shell seals it (D107)."""

    kind: type[EventBase[P]]
    doctor_id: UUID
    payload: P


AnyDraft = EventDraft[Contract]  # a draft of any kind
TokenNotice = EventDraft[TokenPayload]  # a draft about a token: its patient may be told


@dataclass(slots=True)
class Changes:
    doctors: dict[UUID, Doctor] = field(default_factory=dict)
    templates: set[UUID] = field(default_factory=set)
    slots: dict[UUID, Slot] = field(default_factory=dict)
    tokens: dict[UUID, Token] = field(default_factory=dict)
    days: dict[tuple[UUID, date], Day] = field(default_factory=dict)  # day-level settings (delay)
    events: list[AnyDraft] = field(default_factory=list)


class Workspace:
    """Doctors and days loaded by the shell; handlers read and change them through this object only.

    The shell may pass the dictionaries it keeps between batches: the workspace works on them in place.
    """

    def __init__(
        self,
        policy: Policy,
        new_id: Callable[[], UUID],
        doctors: dict[UUID, Doctor] | None = None,
        days: dict[tuple[UUID, date], Day] | None = None,
    ) -> None:
        self.policy = policy
        self.new_id = new_id
        self.doctors: dict[UUID, Doctor] = doctors if doctors is not None else {}
        self.days: dict[tuple[UUID, date], Day] = days if days is not None else {}
        self.changes = Changes()

    def today(self, now: datetime) -> date:
        return now.astimezone(self.policy.zone).date()

    def at(self, day: date, clock_time: time) -> datetime:
        return datetime.combine(day, clock_time, tzinfo=self.policy.zone)

    def day(self, doctor: Doctor, day: date) -> Day:
        """The doctor's day, materialized from the weekly templates the first time it is needed."""
        key = (doctor.id, day)
        found = self.days.get(key)
        if found is None or not found.slots:
            slots = [self.new_slot(doctor, day, template) for template in doctor.templates]
            slots.sort(key=lambda slot: slot.start_time)
            found = Day(doctor=doctor, date=day, slots=slots, tokens=found.tokens if found else [])
            self.days[key] = found
        return found

    def new_slot(self, doctor: Doctor, day: date, template: SlotTemplate) -> Slot:
        """A dated slot from a weekly template; its id is known in advance (``shared.ids.slot_id``)."""
        slot = Slot(
            id=slot_id(doctor.id, day, template.start_time),
            doctor_id=doctor.id,
            date=day,
            start_time=template.start_time,
            end_time=template.end_time,
            capacity=template.max_capacity,
            reserved=template.reserved_emergency_slots,
            status=SlotStatus.AVAILABLE,
            starts_at=self.at(day, template.start_time),
            ends_at=self.at(day, template.end_time),
            quotas=dict(template.quotas),
        )
        self.changes.slots[slot.id] = slot
        return slot

    def find_token(self, doctor_id: UUID, ref: str) -> tuple[Day, Token] | None:
        """A loaded token of the doctor by id or token number (case-insensitive)."""
        wanted = ref.strip().lower()
        for (owner, _), day in self.days.items():
            token = day.token(wanted) if owner == doctor_id else None
            if token is not None:
                return day, token
        return None

    def add_doctor(self, doctor: Doctor) -> None:
        self.doctors[doctor.id] = doctor
        self.changes.doctors[doctor.id] = doctor
        self.changes.templates.add(doctor.id)

    def touch_doctor(self, doctor: Doctor, templates_changed: bool = False) -> None:
        self.changes.doctors[doctor.id] = doctor
        if templates_changed:
            self.changes.templates.add(doctor.id)

    def add_token(self, day: Day, token: Token) -> None:
        day.add(token)
        self.changes.tokens[token.id] = token

    def touch_token(self, token: Token, now: datetime) -> None:
        token.updated_at = now
        self.changes.tokens[token.id] = token

    def touch_day(self, day: Day) -> None:
        self.changes.days[(day.doctor.id, day.date)] = day

    def touch_slot(self, slot: Slot) -> None:
        self.changes.slots[slot.id] = slot

    def emit(self, kind: type[EventBase[Drafted]], doctor_id: UUID, payload: Drafted) -> None:
        """Queue the event; one about a token announces the ETA it carries (the baseline of later ETA notices)."""
        self.changes.events.append(EventDraft(kind, doctor_id, payload))
        if isinstance(payload, TokenPayload):
            self._announce(payload.token)

    def _announce(self, view: TokenView) -> None:
        day = self.days.get((view.doctor_id, view.date))
        token = day.token(str(view.id)) if day is not None else None
        if token is not None and token.announced_eta != view.estimated_time:
            token.announced_eta = view.estimated_time
            self.changes.tokens[token.id] = token
