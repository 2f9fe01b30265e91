"""Queries on samples: the listing with its tab counts, and one sample."""

from __future__ import annotations

from dataclasses import dataclass

from labelstream_shared.errors import NotFoundError
from labelstream_shared.sample_listing import SamplePosition

from dataset_svc.app.ports import SampleCountRepository, SampleRepository
from dataset_svc.domain.samples import Sample, SampleCounts, SampleQuery


@dataclass(frozen=True)
class SampleListing:
    samples: list[Sample]  # up to limit + 1: the extra one tells that there is a next page
    counts: SampleCounts


async def list_samples(
    dataset_id: str,
    *,
    samples: SampleRepository,
    counters: SampleCountRepository,
    query: SampleQuery,
    limit: int,
    cursor: str | None,
) -> SampleListing:
    """One page of the dataset's samples (the caller checked that the dataset exists) and the tab counts
    for the same filters: kept counters when nothing but the tab narrows the listing, counted otherwise."""
    after = SamplePosition.from_cursor(cursor) if cursor else None
    found = await samples.find(dataset_id, query=query, limit=limit + 1, after=after)
    if query.is_filtered:
        counts = await samples.count(dataset_id, query=query)
    else:
        counts = await counters.get(dataset_id)
    return SampleListing(samples=found, counts=counts)


async def get_sample(samples: SampleRepository, *, dataset_id: str, sample_id: str) -> Sample:
    sample = await samples.get(dataset_id, sample_id)
    if sample is None:
        raise NotFoundError(f"sample {sample_id!r} not found in dataset {dataset_id!r}")
    return sample
