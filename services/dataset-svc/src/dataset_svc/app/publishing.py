"""The worker's side of versions: publishing one (manifest and statistics written to the output path, then the
version marked published with VersionPublished in one transaction) and removing a deleted one.

The manifest is streamed: a page of samples is read per transaction (with their labels, and the page's objects
recorded as used by the version), turned into JSON Lines and handed to the upload, which sends it in parts, so
memory stays flat at a million samples. Samples are read in key order page by page; a sample changed while the
version is written appears as it was when its page was read. Samples whose source object is gone are left out.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from functools import partial

from labelstream_shared.clock import utc_now
from labelstream_shared.events import VersionPublished
from labelstream_shared.events.contracts import BucketPath
from labelstream_shared.jobs import Claim, JobLostError
from labelstream_shared.sample_listing import SamplePosition
from labelstream_shared.uow import TransactionRunner

from dataset_svc.app.ports import DatasetTransaction, VersionFiles
from dataset_svc.domain.deletion import SourceObject
from dataset_svc.domain.labels import LabelStatistics, LabelTally, SampleLabels
from dataset_svc.domain.samples import Sample, SampleQuery
from dataset_svc.domain.versions import MAX_ATTEMPTS, ManifestLine, Version, statistics_document

log = logging.getLogger(__name__)
Run = TransactionRunner[DatasetTransaction]
PAGE = 1000  # samples per transaction while writing a manifest (and membership records per batch)


async def execute_version_job(claim: Claim, *, run: Run, files: VersionFiles, owner: str, page: int = PAGE) -> None:
    """Publish or remove the version the worker claimed, as its status says."""
    version = await run(lambda tx: tx.versions.get(claim.job_id))
    try:
        if version is not None and version.status == "publishing":
            await _publish(version, claim=claim, run=run, files=files, owner=owner, page=page)
        elif version is not None and version.status == "deleting":
            await _remove(version, run=run, files=files, owner=owner, page=page)
    except JobLostError:
        log.warning("version %s was taken over by another worker", claim.job_id)


async def _publish(version: Version, *, claim: Claim, run: Run, files: VersionFiles, owner: str, page: int) -> None:
    try:
        if claim.attempts > MAX_ATTEMPTS:
            raise RuntimeError(f"gave up after {MAX_ATTEMPTS} attempts (the worker stopped while publishing)")
        dataset = await run(lambda tx: tx.datasets.get(version.dataset_id))
        if dataset is None:
            return  # the dataset is being purged, this version with it
        await _forget_objects(version, run=run, owner=owner, page=page)  # from an attempt that broke off
        tally = LabelTally(label.name for label in dataset.labels)
        chunks = _manifest(version, tally=tally, run=run, owner=owner, page=page)
        try:
            manifest = version.manifest
            await files.write_stream(
                bucket=manifest.bucket, key=manifest.key, chunks=chunks, content_type="application/x-ndjson"
            )
        finally:
            await chunks.aclose()
        statistics = tally.result()
        target = version.statistics_file
        data = statistics_document(version, statistics)
        await files.write(bucket=target.bucket, key=target.key, data=data, content_type="application/json")
        label_set = tuple(label.name for label in dataset.labels)
        await run(partial(_mark_published, version.id, statistics, label_set, owner))
    except JobLostError:
        raise
    except Exception as exc:
        log.exception("publishing version %s failed", version.id)
        await run(partial(_mark_failed, version.id, f"{type(exc).__name__}: {exc}"))


@dataclass(frozen=True)
class _ManifestPage:
    samples: list[tuple[Sample, SampleLabels | None]]
    following: SamplePosition | None


async def _manifest(version: Version, *, tally: LabelTally, run: Run, owner: str, page: int) -> AsyncGenerator[bytes]:
    """The manifest in chunks of JSON Lines, a page of samples each; counts the labels as it goes."""
    after: SamplePosition | None = None
    while True:
        found = await run(partial(_manifest_page, version, owner, after, page))
        lines = []
        for sample, labels in found.samples:
            tally.add(labels.shapes if labels else ())
            lines.append(ManifestLine.of(sample, labels).to_json())
        if lines:
            yield ("\n".join(lines) + "\n").encode()
        if found.following is None:
            return
        after = found.following


async def _manifest_page(
    version: Version, owner: str, after: SamplePosition | None, page: int, tx: DatasetTransaction
) -> _ManifestPage:
    await _heartbeat(tx, version.id, owner)
    found = await tx.samples.find(version.dataset_id, query=SampleQuery(), limit=page, after=after)
    kept = [s for s in found if not s.source_missing]
    labels = await tx.sample_labels.get_many(s.id for s in kept)
    objects = [SourceObject.of(s) for s in kept]
    await tx.version_objects.add(dataset_id=version.dataset_id, version_id=version.id, objects=objects)
    following = SamplePosition.of(found[-1]) if len(found) == page else None
    return _ManifestPage([(s, labels.get(s.id)) for s in kept], following)


async def _mark_published(
    version_id: str, statistics: LabelStatistics, label_set: tuple[str, ...], owner: str, tx: DatasetTransaction
) -> None:
    """The version is published, announced in the same transaction. It becomes current unless the current one
    is newer (a later number published first)."""
    version = await tx.versions.get(version_id)
    await _heartbeat(tx, version_id, owner)
    if version is None or version.status != "publishing" or await tx.datasets.get(version.dataset_id) is None:
        return
    published = version.published(statistics=statistics, label_set=label_set)
    await tx.versions.save(published)
    current_id = await tx.version_heads.current(version.dataset_id)
    current = await tx.versions.get(current_id) if current_id else None
    newer = current is not None and current.status == "published" and current.number > version.number
    await tx.version_heads.set_current(version.dataset_id, current_id if newer else version.id)
    tx.emit(
        VersionPublished(
            dataset_id=version.dataset_id,
            version_id=version.id,
            name=version.name,
            manifest=BucketPath(bucket=version.manifest.bucket, prefix=version.manifest.key),
            sample_count=statistics.samples,
            statistics=statistics.labels,
            published_at=published.published_at or utc_now(),
        )
    )


async def _mark_failed(version_id: str, error: str, tx: DatasetTransaction) -> None:
    version = await tx.versions.get(version_id)
    if version is not None and version.status == "publishing":
        await tx.versions.save(version.failed(error))


async def _remove(version: Version, *, run: Run, files: VersionFiles, owner: str, page: int) -> None:
    """Remove a deleted version: what it used, its files and its exports' archives (never source objects), then its
    record. A failure leaves it claimed: it is taken up again when its claim goes stale."""
    await _forget_objects(version, run=run, owner=owner, page=page)
    await _remove_exports(version, run=run, files=files, page=page)
    keys = [version.manifest.key, version.statistics_file.key]
    await files.remove(bucket=version.manifest.bucket, keys=keys)

    async def remove(tx: DatasetTransaction) -> None:
        await _heartbeat(tx, version.id, owner)
        await tx.versions.remove(version.id)

    await run(remove)


async def _remove_exports(version: Version, *, run: Run, files: VersionFiles, page: int) -> None:
    """The version's exports: their archives, then their records, a page at a time."""
    while found := await run(lambda tx: tx.exports.list(version.dataset_id, version_id=version.id, limit=page)):
        archives: dict[str, list[str]] = {}
        for export in found:
            if export.archive is not None:
                archives.setdefault(export.archive.location.bucket, []).append(export.archive.location.key)
        for bucket, keys in archives.items():
            await files.remove(bucket=bucket, keys=keys)
        await run(partial(_remove_export_records, [e.id for e in found]))


async def _remove_export_records(export_ids: list[str], tx: DatasetTransaction) -> None:
    await tx.exports.remove(export_ids)


async def _forget_objects(version: Version, *, run: Run, owner: str, page: int) -> None:
    async def some(tx: DatasetTransaction) -> int:
        await _heartbeat(tx, version.id, owner)
        return await tx.version_objects.remove_some(dataset_id=version.dataset_id, version_id=version.id, limit=page)

    while await run(some):
        pass


async def _heartbeat(tx: DatasetTransaction, version_id: str, owner: str) -> None:
    if not await tx.versions.heartbeat(version_id, owner=owner):
        raise JobLostError(version_id)
