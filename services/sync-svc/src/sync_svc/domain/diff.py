"""The diff of a bucket listing against the known objects: a merge of two streams sorted by key.

Both sides are consumed as streams, so memory does not grow with the number of objects. S3 lists keys in
UTF-8 binary order and MongoDB sorts strings (without collation) the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from sync_svc.domain.objects import KnownObject, ListedObject


@dataclass(frozen=True)
class New:
    listed: ListedObject


@dataclass(frozen=True)
class Vanished:
    known: KnownObject


@dataclass(frozen=True)
class Changed:
    listed: ListedObject
    known: KnownObject


@dataclass(frozen=True)
class Reappeared:
    listed: ListedObject
    known: KnownObject


@dataclass(frozen=True)
class Unchanged:
    key: str


Difference = New | Vanished | Changed | Reappeared | Unchanged


async def diff(listed: AsyncIterator[ListedObject], known: AsyncIterator[KnownObject]) -> AsyncIterator[Difference]:
    """What happened to each key, in key order."""
    obj = await anext(listed, None)
    rec = await anext(known, None)
    while obj is not None or rec is not None:
        if rec is None or (obj is not None and obj.key < rec.key):
            assert obj is not None
            yield New(obj)
            obj = await anext(listed, None)
        elif obj is None or rec.key < obj.key:
            if not rec.missing:
                yield Vanished(rec)
            rec = await anext(known, None)
        else:
            yield _same_key(obj, rec)
            obj, rec = await anext(listed, None), await anext(known, None)


def _same_key(obj: ListedObject, rec: KnownObject) -> Difference:
    if rec.missing:
        return Reappeared(obj, rec)
    if obj.etag != rec.etag:
        return Changed(obj, rec)
    return Unchanged(obj.key)
