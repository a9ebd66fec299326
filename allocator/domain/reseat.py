"""Moving tokens whose seat went away (doctor unavailable, schedule changed) into the doctor's later slots.

In (priority, arrival) order: a confirmed token keeps a seat if a later slot has one for it; otherwise it waits
in the first later slot; with no later slot that day (or an emergency with no seat) it is cancelled.
"""

from dataclasses import dataclass, field
from datetime import datetime

from allocator.domain.answers import Reseated
from allocator.domain.day import Day
from allocator.domain.model import Slot, Token
from allocator.domain.settle import settle
from allocator.domain.views import token_view
from allocator.domain.workspace import Workspace
from shared.contracts.events import TokenCancelled, TokenMoved, TokenPayload, TokenWaitlisted
from shared.contracts.reasons import Cause
from shared.contracts.values import TokenStatus


@dataclass(slots=True)
class Reseating:
    moved: list[Token] = field(default_factory=list)
    waitlisted: list[Token] = field(default_factory=list)
    cancelled: list[Token] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.moved or self.waitlisted or self.cancelled)

    def summary(self) -> Reseated:
        return {
            "moved": [t.token_number for t in self.moved],
            "waitlisted": [t.token_number for t in self.waitlisted],
            "cancelled": [t.token_number for t in self.cancelled],
        }


def _target(ws: Workspace, day: Day, token: Token, later: list[Slot], now: datetime) -> Slot | None:
    """A later slot with a seat for a token that held one: it goes before the waitlists there."""
    if token.status is not TokenStatus.CONFIRMED:
        return None
    release = ws.policy.release_reserve_at_start
    return next((slot for slot in later if day.ledger(slot, now, release).fits(token.source)), None)


def reseat(ws: Workspace, day: Day, displaced: list[Token], now: datetime, cause: Cause) -> Reseating:
    """Re-seat the displaced tokens, tell each of them, then settle the day (promotions, ETAs)."""
    outcome = Reseating()
    for token in sorted(displaced, key=lambda t: t.order_key):
        origin = day.slot(token.slot_id)
        later = [slot for slot in day.open_slots(now) if slot is not origin and slot.starts_at >= origin.starts_at]
        target = _target(ws, day, token, later, now)
        if target is not None:
            day.move(token, target.id)
            outcome.moved.append(token)
        elif later and not token.is_emergency:
            day.move(token, later[0].id, TokenStatus.PENDING)
            outcome.waitlisted.append(token)
        else:
            day.set_status(token, TokenStatus.CANCELLED)
            outcome.cancelled.append(token)
        token.status_reason = cause.text
        ws.touch_token(token, now)
    told = {token.id for token in displaced}
    notices = settle(ws, day, now, cause, told=told)
    seated_after_all = [t for t in outcome.waitlisted if t.status is TokenStatus.CONFIRMED]  # told: promoted
    outcome.waitlisted = [t for t in outcome.waitlisted if t.status is TokenStatus.PENDING]
    outcome.moved.extend(seated_after_all)
    reseated = [t for t in outcome.moved if t not in seated_after_all]
    for kind, tokens in (
        (TokenMoved, reseated),
        (TokenWaitlisted, outcome.waitlisted),
        (TokenCancelled, outcome.cancelled),
    ):
        for token in tokens:
            ws.emit(kind, day.doctor.id, TokenPayload.of(token_view(day, token), cause))
    for notice in notices:
        ws.emit(notice.kind, notice.doctor_id, notice.payload)
    return outcome
