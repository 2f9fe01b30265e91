"""Datasets and their samples (dataset-svc), and a sample's source file and video frames (gateway, media-svc)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from urllib.parse import quote

from labelstream.api.http import Connection
from labelstream.api.operations import operation
from labelstream.errors import InvalidInput, NotFound
from labelstream.models import (
    BucketPath,
    Dataset,
    DatasetCreate,
    DatasetUpdate,
    LabelDefinition,
    Sample,
    SampleDeletion,
    SampleDeletionCreate,
    SamplePage,
)


class Datasets:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    @operation("dataset", "listDatasets")
    def list(self) -> Iterator[Dataset]:
        return self._c.pages("/api/datasets", Dataset)

    @operation("dataset", "getDataset")
    def get(self, dataset_id: str) -> Dataset:
        return self._c.json("GET", f"/api/datasets/{dataset_id}", Dataset)

    def resolve(self, id_or_name: str) -> Dataset:
        """The dataset with this id, or else the one with this name (NotFound when none, InvalidInput when the
        name is not unique)."""
        try:
            return self.get(id_or_name)
        except (NotFound, InvalidInput):
            named = [d for d in self.list() if d.name == id_or_name]
        if len(named) > 1:
            raise InvalidInput(422, "ambiguous", f"dataset: {len(named)} datasets are named {id_or_name!r}: use the id")
        if not named:
            raise NotFound(404, "not_found", f"dataset {id_or_name!r} not found (neither an id nor a name)")
        return named[0]

    @operation("dataset", "createDataset")
    def create(
        self,
        *,
        name: str,
        labeling_type: str,
        input_path: BucketPath,
        output_path: BucketPath,
        description: str = "",
        labels: Sequence[LabelDefinition] = (),
    ) -> Dataset:
        body = DatasetCreate(
            name=name, labeling_type=labeling_type, input_path=input_path, output_path=output_path,
            description=description, labels=list(labels),
        )  # fmt: skip
        return self._c.json("POST", "/api/datasets", Dataset, json=body.model_dump(mode="json"))

    @operation("dataset", "updateDataset")
    def update(self, dataset_id: str, *, name: str | None = None, description: str | None = None) -> Dataset:
        body = DatasetUpdate(name=name, description=description).model_dump(exclude_none=True)
        return self._c.json("PATCH", f"/api/datasets/{dataset_id}", Dataset, json=body)

    @operation("dataset", "deleteDataset")
    def delete(self, dataset_id: str) -> None:
        self._c.request("DELETE", f"/api/datasets/{dataset_id}")


class Samples:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    @operation("dataset", "listSamples")
    def list(
        self,
        dataset_id: str,
        *,
        tab: str = "all",
        labels: Sequence[str] = (),
        name: str | None = None,
        hard_example: bool | None = None,
        labeled_by: str | None = None,
        page_size: int = 500,
    ) -> Iterator[Sample]:
        """Every sample of the dataset matching the filters, in the listing's order (a page at a time)."""
        params = {
            "tab": tab,
            "label": list(labels) or None,
            "name": name,
            "hard_example": hard_example,
            "labeled_by": labeled_by,
        }
        return self._c.pages(f"/api/datasets/{dataset_id}/samples", Sample, params=params, limit=page_size)

    def page(self, dataset_id: str, *, cursor: str | None = None, limit: int = 50) -> SamplePage:
        """One page with the tab counts."""
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        return self._c.json("GET", f"/api/datasets/{dataset_id}/samples", SamplePage, params=params)

    @operation("dataset", "getSample")
    def get(self, dataset_id: str, sample_id: str) -> Sample:
        return self._c.json("GET", f"/api/datasets/{dataset_id}/samples/{sample_id}", Sample)

    @operation("dataset", "deleteSamples")
    def delete(self, dataset_id: str, sample_ids: Sequence[str], *, delete_source: bool = False) -> SampleDeletion:
        """Delete samples (with `delete_source`, their source objects too): at once up to 1,000 (`succeeded`),
        more in the background (`queued`: follow it with `deletion`)."""
        body = SampleDeletionCreate(sample_ids=list(sample_ids), delete_source=delete_source)
        path = f"/api/datasets/{dataset_id}/samples/deletions"
        return self._c.json("POST", path, SampleDeletion, json=body.model_dump(mode="json", exclude_none=True))

    @operation("dataset", "getSampleDeletion")
    def deletion(self, dataset_id: str, deletion_id: str) -> SampleDeletion:
        return self._c.json("GET", f"/api/datasets/{dataset_id}/samples/deletions/{deletion_id}", SampleDeletion)

    @operation("gateway", "getSourceFile")
    def source(self, dataset_id: str, sample_id: str) -> bytes:
        """The sample's source object, as stored."""
        return self._c.request("GET", f"/api/files/datasets/{dataset_id}/samples/{quote(sample_id, safe='')}").content

    @operation("media", "getFrame")
    def frame(self, dataset_id: str, sample_id: str, *, index: int | None = None, time_s: float | None = None) -> bytes:
        """A video's exact frame (JPEG) by index or time point, as a player shows it."""
        params = {"n": index} if index is not None else {"t": time_s}
        path = f"/api/media/datasets/{dataset_id}/samples/{sample_id}/frame"
        return self._c.request("GET", path, params=params).content
