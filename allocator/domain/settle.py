"""After any change to a day: promote the waitlist into free seats, refresh slot status, recompute ETAs.

Returns the notices for every patient affected other than the one who asked (the chain reaction).
"""

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from allocator.domain.day import Day
from allocator.domain.eta import recompute_etas
from allocator.domain.model import Token
from allocator.domain.views import token_view
from allocator.domain.workspace import EventDraft, Workspace
from shared.contracts.events import TokenEtaChanged, TokenPayload, TokenPromoted
from shared.contracts.values import SlotStatus, TokenSource, TokenStatus


def _promote_waitlist(ws: Workspace, day: Day, now: datetime) -> list[Token]:
    promoted: list[Token] = []
    for slot in day.open_slots(now):
        waiting = day.in_slot(slot, TokenStatus.PENDING)
        if not waiting:
            continue
        ledger = day.ledger(slot, now, ws.policy.release_reserve_at_start)
        refused: set[TokenSource] = set()  # sources that do not fit the ledger as it stands
        for token in waiting:
            if token.source in refused or not ledger.fits(token.source):
                refused.add(token.source)
                continue  # its source's quota is full: the next best waiting patient may still fit
            ledger.take(token.source)
            refused.clear()
            day.set_status(token, TokenStatus.CONFIRMED)
            token.status_reason = None
            ws.touch_token(token, now)
            promoted.append(token)
    return promoted


def refresh_slot_status(ws: Workspace, day: Day, now: datetime) -> None:
    for slot in day.slots:
        if slot.status is SlotStatus.CANCELLED:
            continue
        if now >= slot.ends_at:
            status = SlotStatus.COMPLETED
        elif not day.any_regular_seat(slot, now, ws.policy.release_reserve_at_start):
            status = SlotStatus.FULL
        else:
            status = SlotStatus.AVAILABLE
        if slot.status is not status:
            slot.status = status
            ws.touch_slot(slot)


def settle(ws: Workspace, day: Day, now: datetime, reason: str, told: Collection[UUID] = ()) -> list[EventDraft]:
    """``told``: patients already getting their own message from this command (no second notice)."""
    promoted = _promote_waitlist(ws, day, now)
    refresh_slot_status(ws, day, now)
    eta_changes = recompute_etas(day, now)
    for token, _ in eta_changes:
        ws.touch_token(token, now)
    notices = [
        EventDraft(TokenPromoted, day.doctor.id, TokenPayload(token=token_view(day, token), reason=reason))
        for token in promoted
    ]
    promoted_ids = {token.id for token in promoted}
    threshold = ws.policy.eta_notice_threshold
    for token, previous in eta_changes:
        current = token.estimated_time
        if previous is not None and current is not None and abs(current - previous) < threshold:
            continue  # a small change: nobody is told
        if token.id not in told and token.id not in promoted_ids and token.status is TokenStatus.CONFIRMED:
            payload = TokenPayload(token=token_view(day, token), reason=reason, previous_estimated_time=previous)
            notices.append(EventDraft(TokenEtaChanged, day.doctor.id, payload))
    return notices
