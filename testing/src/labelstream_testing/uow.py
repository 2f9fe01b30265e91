"""The in-memory unit of work behind the fakes of unit tests: collections of plain dicts, the outbox and the ledger,
run all or nothing like a MongoDB transaction. Test-only (labelstream_testing is not part of any image)."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from labelstream_shared.uow import OutgoingEvent, OutgoingTombstone, Transaction
from pydantic import BaseModel

T = TypeVar("T")


class InMemoryState:
    """Collections of plain dicts, the outbox and the ledger: the storage behind the fakes."""

    def __init__(self) -> None:
        self.collections: dict[str, dict[Any, dict[str, Any]]] = {}
        self.outbox: list[OutgoingEvent] = []
        self.tombstones: list[OutgoingTombstone] = []
        self.ledger: set[tuple[str, str]] = set()

    def collection(self, name: str) -> dict[Any, dict[str, Any]]:
        return self.collections.setdefault(name, {})


class InMemoryTransaction(Transaction):
    def __init__(self, *, source: str, state: InMemoryState) -> None:
        super().__init__(source=source)
        self.state = state

    async def claim(self, consumer: str, event_id: str) -> bool:
        if (consumer, event_id) in self.state.ledger:
            return False
        self.state.ledger.add((consumer, event_id))
        return True


TxIn = TypeVar("TxIn", bound=InMemoryTransaction)


class InMemoryTransactionRunner(Generic[TxIn]):
    """Runs work against a snapshot and keeps it only when the work succeeds: all or nothing, like Mongo."""

    def __init__(self, make: Callable[[InMemoryState], TxIn], state: InMemoryState | None = None) -> None:
        self.state = state or InMemoryState()
        self._make = make

    async def __call__(self, work: Callable[[TxIn], Awaitable[T]], /) -> T:
        saved = copy.deepcopy((self.state.collections, self.state.ledger))
        tx = self._make(self.state)
        try:
            result = await work(tx)
        except BaseException:
            self._restore(*saved)
            raise
        self.state.outbox.extend(tx.outgoing())
        self.state.tombstones.extend(tx.tombstones)
        return result

    def _restore(self, collections: dict[str, dict[Any, dict[str, Any]]], ledger: set[tuple[str, str]]) -> None:
        """Roll back in place: repositories built outside the transaction keep seeing the same dicts."""
        for name in list(self.state.collections):
            if name not in collections:
                self.state.collections[name].clear()
        for name, rows in collections.items():
            current = self.state.collections.setdefault(name, {})
            current.clear()
            current.update(rows)
        self.state.ledger.clear()
        self.state.ledger.update(ledger)


M = TypeVar("M", bound=BaseModel)


def page_rows(rows: dict[Any, dict[str, Any]], cls: type[M], *, limit: int, after: str | None) -> list[M]:
    """The in-memory twin of mongo.page_by_id."""
    ids = sorted(i for i in rows if after is None or i > after)[:limit]
    return [cls.model_validate(rows[i]) for i in ids]
