"""How the notifier cuts a batch into statements: one per run of distinct patients, plus one for ETA windows."""

from uuid import UUID, uuid4

from notifier.messages import ETA_CHANGED, Notification
from notifier.repository import segments, statements


def message(token: UUID | None, event_type: str = "token.confirmed", channel: str = "log") -> Notification:
    return Notification(uuid4(), event_type, uuid4(), token, channel, str(token), "text")


def test_distinct_patients_are_one_statement_and_a_patient_coming_again_starts_the_next() -> None:
    a, b, c = uuid4(), uuid4(), uuid4()
    batch = [message(a), message(b), message(a, "log"), message(c), message(a, channel="webhook")]
    assert [[n.token_id for n in segment] for segment in segments(batch)] == [[a, b], [a, c, a]]
    assert statements(batch, coalesce_seconds=60) == 2
    assert statements([], coalesce_seconds=60) == 0


def test_eta_updates_in_a_window_take_one_more_statement_per_segment() -> None:
    a, b = uuid4(), uuid4()
    batch = [message(a, ETA_CHANGED), message(b, ETA_CHANGED), message(a, ETA_CHANGED)]
    assert statements(batch, coalesce_seconds=60) == 4
    assert statements(batch, coalesce_seconds=0) == 2


def test_messages_about_no_token_never_cut_a_batch() -> None:
    assert len(segments([message(None), message(None)])) == 1
