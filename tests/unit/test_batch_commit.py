"""The batch commit both consumers share: one ack for what committed, the culprit refused alone, retries while the
store is away, nothing acked that was left uncommitted."""

import asyncio
from dataclasses import dataclass, field, replace

import pytest

from shared.acks import LingeringAcks
from shared.batch_commit import Backoff, BatchCommit
from shared.errors import Culprit


@dataclass
class Delivery:
    tag: int
    acks: list[bool] = field(default_factory=list)

    async def ack(self, multiple: bool = False) -> None:
        self.acks.append(multiple)


class Unavailable(Exception):
    """The store is away for now."""


@dataclass
class Store:
    """Commits batches of tags; ``bad`` tags break any batch holding them, ``culprits`` are named by the commit,
    and the first ``away`` tries find the store unavailable."""

    bad: set[int] = field(default_factory=set)
    culprits: set[int] = field(default_factory=set)
    away: int = 0
    stop_when_away: asyncio.Event | None = None
    committed: list[list[int]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    answered: list[list[int]] = field(default_factory=list)

    async def commit(self, items: list[Delivery]) -> str:
        if self.away:
            self.away -= 1
            if self.stop_when_away is not None:
                self.stop_when_away.set()
            raise Unavailable
        for index, item in enumerate(items):
            if item.tag in self.culprits:
                raise Culprit(index, ValueError(f"tag {item.tag}"))
        if self.bad & {item.tag for item in items}:
            raise RuntimeError("a constraint")
        self.committed.append([item.tag for item in items])
        return "ok"

    async def answer(self, items: list[Delivery], result: str) -> None:
        self.answered.append([item.tag for item in items])

    async def refuse(self, item: Delivery, exc: Exception) -> None:
        self.refused.append((item.tag, type(exc).__name__))
        await item.ack()  # settled on its own, as a dead-letter is


def committer(store: Store) -> BatchCommit[Delivery, str]:
    return BatchCommit(
        what="test",
        commit=store.commit,
        committed=store.answer,
        refuse=store.refuse,
        message_of=lambda item: item,  # type: ignore[arg-type,return-value]
        acks=LingeringAcks(0, 1, "test"),
        transient=lambda exc: isinstance(exc, Unavailable),
        backoff=Backoff(0.001, 0.002),
    )


def deliveries(count: int) -> list[Delivery]:
    return [Delivery(tag) for tag in range(1, count + 1)]


async def test_a_batch_that_commits_is_answered_and_settled_by_one_multiple_ack_of_its_last_delivery() -> None:
    store, items = Store(), deliveries(3)
    await committer(store)(items, asyncio.Event())
    assert store.committed == [[1, 2, 3]] and store.answered == [[1, 2, 3]]
    assert [item.acks for item in items] == [[], [], [True]]


async def test_a_named_culprit_is_refused_alone_and_the_others_commit_together() -> None:
    store, items = Store(culprits={2}), deliveries(3)
    await committer(store)(items, asyncio.Event())
    assert store.refused == [(2, "Culprit")]
    assert store.committed == [[1, 3]]
    assert [item.acks for item in items] == [[], [False], [True]]


async def test_an_unexplained_failure_splits_the_batch_and_refuses_only_the_item_that_fails_alone() -> None:
    store, items = Store(bad={2}), deliveries(3)
    await committer(store)(items, asyncio.Event())
    assert store.committed == [[1], [3]]
    assert store.refused == [(2, "RuntimeError")]
    assert all(item.acks for item in items)


async def test_an_unavailable_store_is_tried_again_until_it_commits() -> None:
    store, items = Store(away=3), deliveries(2)
    await committer(store)(items, asyncio.Event())
    assert store.committed == [[1, 2]]


async def test_stopping_while_the_store_is_away_leaves_the_batch_unacked_for_redelivery() -> None:
    stop = asyncio.Event()
    store, items = Store(away=1, stop_when_away=stop), deliveries(2)
    await committer(store)(items, stop)
    assert store.committed == [] and all(item.acks == [] for item in items)


async def test_a_failure_the_caller_handles_is_raised_on_untouched() -> None:
    class LeaseLost(Exception):
        pass

    async def fenced(items: list[Delivery]) -> str:
        raise LeaseLost

    store, items = Store(), deliveries(2)
    passing = replace(committer(store), commit=fenced, passes=(LeaseLost,))
    with pytest.raises(LeaseLost):
        await passing(items, asyncio.Event())
    assert store.refused == [] and all(item.acks == [] for item in items)
