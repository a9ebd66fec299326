"""What a batch sends to ``opd_commit_batch`` for its tokens: whole rows, or the ETA alone of those only retimed."""

from allocator.adapters.repository import changed_rows
from allocator.domain.workspace import Changes
from shared.contracts.values import TokenSource

from .kit import Clinic, template


def test_a_booking_ahead_sends_the_tokens_it_moved_as_their_etas_alone() -> None:
    clinic = Clinic.open(template("09:00-10:00", 30, 0))
    walk_ins = [clinic.book(source=TokenSource.WALKIN) for _ in range(3)]
    clinic.ws.changes = Changes()  # the next batch

    paid = clinic.book(source=TokenSource.PRIORITY)
    rows = changed_rows(clinic.ws.changes)

    assert [row["id"] for row in rows.tokens] == [paid.id]
    assert rows.retimed == [w.id for w in walk_ins]
    assert rows.retimed_etas == [clinic.token(w.token_number).estimated_time for w in walk_ins]
    assert all(eta != w.estimated_time for eta, w in zip(rows.retimed_etas, walk_ins, strict=True))
    assert rows.retimed_at == [clinic.now] * 3


def test_a_token_changed_otherwise_in_the_same_batch_is_sent_whole_only() -> None:
    clinic = Clinic.open(template("09:00-10:00", 30, 0))
    first, second = clinic.book(), clinic.book()
    clinic.ws.changes = Changes()

    clinic.book(source=TokenSource.PRIORITY)  # moves both
    clinic.cancel(first.token_number)  # and then changes the first otherwise
    rows = changed_rows(clinic.ws.changes)

    assert first.id in [row["id"] for row in rows.tokens]
    assert first.id not in rows.retimed and second.id in rows.retimed
