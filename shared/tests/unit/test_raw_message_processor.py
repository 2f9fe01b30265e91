from __future__ import annotations

from labelstream_shared.consumer import IncomingMessage, InvalidMessageError, RawMessageProcessor
from labelstream_testing.uow import InMemoryTransaction, InMemoryTransactionRunner

from .fakes import FakeDeadLetters


def decode(message: IncomingMessage) -> tuple[str, str]:
    text = (message.value or b"").decode()
    if not text.startswith("put:"):
        raise InvalidMessageError(f"unexpected {text!r}")
    return text, text.removeprefix("put:")


def message(value: bytes, offset: int) -> IncomingMessage:
    return IncomingMessage(topic="t", partition=0, offset=offset, key=None, value=value)


def processor(dead: FakeDeadLetters) -> RawMessageProcessor[InMemoryTransaction, str]:
    async def handle(tx: InMemoryTransaction, keys: list[str]) -> None:
        if "explode" in keys:
            raise ValueError("cannot apply")
        rows = tx.state.collection("applied")
        for key in keys:
            rows[key] = {"count": rows.get(key, {}).get("count", 0) + 1}

    run = InMemoryTransactionRunner(lambda state: InMemoryTransaction(source="/t", state=state))
    return RawMessageProcessor(
        group="g", kind="test", decode=decode, handle=handle, run=run, dead_letters=dead, backoff_s=0
    )


async def test_a_batch_is_applied_once_and_garbage_is_parked() -> None:
    dead = FakeDeadLetters()
    p = processor(dead)
    batch = [message(b"put:a", 0), message(b"junk", 1), message(b"put:b", 2)]
    assert await p.process_batch(batch) == ["applied", "dead_lettered", "applied"]
    assert await p.process_batch(batch[:1]) == ["duplicate"]
    assert p.run.state.collection("applied") == {"a": {"count": 1}, "b": {"count": 1}}  # type: ignore[attr-defined]
    assert [m.offset for m, _ in dead.parked] == [1]


async def test_a_failing_batch_is_retried_one_by_one_so_only_the_culprit_is_parked() -> None:
    dead = FakeDeadLetters()
    p = processor(dead)
    outcomes = await p.process_batch([message(b"put:a", 0), message(b"put:explode", 1), message(b"put:b", 2)])
    assert outcomes == ["applied", "dead_lettered", "applied"]
    assert set(p.run.state.collection("applied")) == {"a", "b"}  # type: ignore[attr-defined]
