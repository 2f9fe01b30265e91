"""Versions of a dataset: publish (reserve the next number; the worker writes the files, see publishing.py),
list, get, set to current, delete. A version is immutable once published: nothing here changes its content."""

from __future__ import annotations

from dataclasses import dataclass

from labelstream_shared.errors import ConflictError, NotFoundError
from labelstream_shared.uow import TransactionRunner

from dataset_svc.app.ports import DatasetTransaction, VersionHeadRepository, VersionRepository
from dataset_svc.app.use_cases import get_dataset
from dataset_svc.domain.requests import created_id, same_request
from dataset_svc.domain.versions import Version

Run = TransactionRunner[DatasetTransaction]


@dataclass(frozen=True)
class VersionView:
    version: Version
    is_current: bool


async def publish_version(dataset_id: str, *, run: Run, description: str = "", key: str | None = None) -> Version:
    """Reserve the next number (V001, V002, ...) and record the version as publishing; the worker then writes
    its manifest and statistics and marks it published. Concurrent publications get consecutive numbers: they
    all increment the dataset's one head document, so MongoDB lets one commit at a time (the others retry). With an
    Idempotency-Key (`key`), the same request again answers the version the first one created."""
    version_id = created_id(dataset_id, "publishVersion", key)

    async def work(tx: DatasetTransaction) -> Version:
        dataset = await get_dataset(tx.datasets, dataset_id)
        if key is not None and (earlier := await tx.versions.get(version_id)) is not None:
            same_request(earlier.description == description, key)
            return earlier
        number = await tx.version_heads.next_number(dataset_id)
        version = Version.create(
            dataset_id=dataset_id,
            number=number,
            output_path=dataset.output_path,
            description=description,
            id=version_id,
        )
        await tx.versions.add(version)
        return version

    return await run(work)


async def list_versions(
    dataset_id: str, *, versions: VersionRepository, heads: VersionHeadRepository, limit: int, before: int | None
) -> list[VersionView]:
    """The dataset's versions, newest first (the caller checked that the dataset exists)."""
    found = await versions.list(dataset_id, limit=limit, before=before)
    current = await heads.current(dataset_id)
    return [VersionView(v, v.id == current) for v in found]


async def get_version(
    dataset_id: str, version_id: str, *, versions: VersionRepository, heads: VersionHeadRepository
) -> VersionView:
    version = _visible(await versions.get(version_id), dataset_id=dataset_id, version_id=version_id)
    return VersionView(version, version.id == await heads.current(dataset_id))


async def published_version(dataset_id: str, version_id: str, *, versions: VersionRepository) -> Version:
    """A published version, whose files (manifest, statistics) can be read; 409 while it is not published."""
    version = _visible(await versions.get(version_id), dataset_id=dataset_id, version_id=version_id)
    if version.status != "published":
        raise ConflictError(f"version {version.name} is {version.status}: its files can be read once published")
    return version


async def set_current_version(dataset_id: str, version_id: str, *, run: Run) -> VersionView:
    """Make a published version the dataset's current one (there is exactly one while any is published)."""

    async def work(tx: DatasetTransaction) -> VersionView:
        await get_dataset(tx.datasets, dataset_id)
        version = _visible(await tx.versions.get(version_id), dataset_id=dataset_id, version_id=version_id)
        if version.status != "published":
            raise ConflictError(f"version {version.name} is {version.status}: only a published version can be current")
        await tx.version_heads.set_current(dataset_id, version.id)
        return VersionView(version, is_current=True)

    return await run(work)


async def delete_version(dataset_id: str, version_id: str, *, run: Run) -> None:
    """Delete a version: gone from the API at once; the worker then removes its files (manifest, statistics:
    derived files, never source objects) and its record of the objects it used. When it was the current
    version, the newest remaining published version becomes current."""

    async def work(tx: DatasetTransaction) -> None:
        await get_dataset(tx.datasets, dataset_id)
        version = _visible(await tx.versions.get(version_id), dataset_id=dataset_id, version_id=version_id)
        if version.status == "publishing":
            raise ConflictError(f"version {version.name} is being published: delete it when it is done")
        await tx.versions.save(version.deleting())
        current = await tx.version_heads.current(dataset_id)
        if current == version.id:
            replacement = await tx.versions.latest_published(dataset_id)
            current = replacement.id if replacement else None
        # Written even when unchanged: a concurrent "set to current" of this version then conflicts with this.
        await tx.version_heads.set_current(dataset_id, current)

    await run(work)


def _visible(version: Version | None, *, dataset_id: str, version_id: str) -> Version:
    if version is None or version.dataset_id != dataset_id or not version.is_visible:
        raise NotFoundError(f"version {version_id!r} not found in dataset {dataset_id!r}")
    return version
