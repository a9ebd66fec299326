"""After any change to a day: promote the waitlist into free seats, refresh slot status, recompute ETAs.

Returns the notices for every patient affected other than the one who asked (the chain reaction).
"""

from collections import Counter
from collections.abc import Collection
from datetime import datetime, timedelta
from uuid import UUID

from allocator.domain.day import Day
from allocator.domain.eta import recompute_etas
from allocator.domain.model import Token
from allocator.domain.views import token_view
from allocator.domain.workspace import EventDraft, TokenNotice, Workspace
from shared.contracts.events import TokenEtaChanged, TokenPayload, TokenPromoted
from shared.contracts.reasons import Cause
from shared.contracts.values import SlotStatus, TokenSource, TokenStatus
from shared.seats import Ledger


def _promote_waitlist(ws: Workspace, day: Day, now: datetime) -> list[Token]:
    promoted: list[Token] = []
    for slot in day.open_slots(now):
        waiting = day.waiting_by_source(slot)
        if not waiting:
            continue
        ledger = day.ledger(slot, now, ws.policy.release_reserve_at_start)
        fitting = _fitting(ledger, waiting)
        if not fitting:
            continue  # nobody waiting fits (a full slot, a full quota): the waitlist is not walked
        for token in day.in_slot(slot, TokenStatus.PENDING):
            if token.source not in fitting:
                continue  # its source's quota is full: the next best waiting patient may still fit
            ledger.take(token.source)
            day.set_status(token, TokenStatus.CONFIRMED)
            token.status_reason = None
            ws.touch_token(token, now)
            promoted.append(token)
            fitting = _fitting(ledger, waiting)  # a seat fewer; and the source may have none left waiting
            if not fitting:
                break
    return promoted


def _fitting(ledger: Ledger, waiting: Counter[TokenSource]) -> set[TokenSource]:
    """The sources of the waitlist whose next patient would get a seat of the ledger as it stands."""
    return {source for source in waiting if ledger.fits(source)}


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


def _telling_drift(ws: Workspace, day: Day, now: datetime) -> bool:
    """Whether ETA notices compare with what the patient was last told (drift adds up) rather than with the ETA
    just before the change: on the day of the visit, from ``Policy.day_updates_from`` (D33)."""
    local = now.astimezone(ws.policy.zone)
    return day.date == local.date() and local.time() >= ws.policy.day_updates_from


def _away(token: Token) -> bool:
    """A confirmed patient not yet in the waiting room: the one an ETA notice helps. Once checked in, the board
    shows the times, and "you're next" and "please go in" come as messages."""
    return token.status is TokenStatus.CONFIRMED and token.checked_in_at is None and not token.in_consultation


def worth_telling(ws: Workspace, now: datetime, current: datetime | None, baseline: datetime | None) -> bool:
    """Whether an ETA moved enough from ``baseline`` to tell: by the notice threshold, and by a share of the time
    still to go, so that a time hours away is not re-announced for every consultation running over or short."""
    if current is None or baseline is None:
        return current is not None
    to_go = max(min(current, baseline) - now, timedelta(0))
    return abs(current - baseline) >= max(ws.policy.eta_notice_threshold, to_go * ws.policy.eta_notice_share)


def _eta_notice(day: Day, token: Token, cause: Cause, previous: datetime | None) -> TokenNotice:
    payload = TokenPayload.of(token_view(day, token), cause, previous_estimated_time=previous)
    return EventDraft(TokenEtaChanged, day.doctor.id, payload)


def settle(ws: Workspace, day: Day, now: datetime, cause: Cause, told: Collection[UUID] = ()) -> list[TokenNotice]:
    """``told``: patients already getting their own message from this command (no second notice)."""
    promoted = _promote_waitlist(ws, day, now)
    refresh_slot_status(ws, day, now)
    eta_changes = recompute_etas(day, now, ws.policy.show_chance)
    for token, _ in eta_changes:
        ws.touch_token(token, now)
    notices = [
        EventDraft(TokenPromoted, day.doctor.id, TokenPayload.of(token_view(day, token), cause)) for token in promoted
    ]
    promoted_ids = {token.id for token in promoted}
    drift = _telling_drift(ws, day, now)
    for token, previous in eta_changes:
        baseline = token.announced_eta if drift and token.announced_eta is not None else previous
        if baseline is not None and not worth_telling(ws, now, token.estimated_time, baseline):
            continue  # a small change (on the day: still close to what the patient was told)
        if token.id not in told and token.id not in promoted_ids and _away(token):
            notices.append(_eta_notice(day, token, cause, baseline))
    return notices


def drift_notices(ws: Workspace, day: Day, now: datetime, cause: Cause, told: Collection[UUID]) -> list[TokenNotice]:
    """On the day, every patient waiting whose ETA is the notice threshold or more from what they were last told:
    the moves of the days before, each too small to tell, that add up. Repeating it tells nobody twice."""
    if not _telling_drift(ws, day, now):
        return []
    return [
        _eta_notice(day, token, cause, token.announced_eta)
        for token in day.waiting()
        if token.id not in told
        and _away(token)
        and token.estimated_time is not None
        and token.announced_eta is not None
        and worth_telling(ws, now, token.estimated_time, token.announced_eta)
    ]
