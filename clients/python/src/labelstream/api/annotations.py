"""Annotations of samples (labeling-svc): read, save with the revision held (If-Match), delete shapes."""

from __future__ import annotations

from collections.abc import Sequence

from labelstream.api.http import Connection
from labelstream.api.operations import operation
from labelstream.models import Annotation, AnnotationWrite, ShapeIn


class Annotations:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    @staticmethod
    def _path(dataset_id: str, sample_id: str) -> str:
        return f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation"

    @operation("labeling", "getAnnotation")
    def get(self, dataset_id: str, sample_id: str) -> Annotation:
        """The sample's current annotation (revision 0 and no shapes before its first change)."""
        return self._c.json("GET", self._path(dataset_id, sample_id), Annotation)

    @operation("labeling", "saveAnnotation")
    def save(self, dataset_id: str, sample_id: str, shapes: Sequence[ShapeIn], *, revision: int) -> Annotation:
        """Replace the sample's shapes, based on `revision` (the one read): `Conflict` (409 `stale_revision`, the
        current one in `details`) when another write came first, `InvalidInput` naming each shape that breaks a
        rule."""
        body = AnnotationWrite(shapes=list(shapes)).model_dump(mode="json", exclude_none=True)
        headers = {"If-Match": f'"{revision}"'}
        return self._c.json("PUT", self._path(dataset_id, sample_id), Annotation, json=body, headers=headers)

    @operation("labeling", "deleteShapes")
    def delete_shapes(self, dataset_id: str, sample_id: str, *, revision: int) -> Annotation:
        """Remove every shape of the sample."""
        headers = {"If-Match": f'"{revision}"'}
        return self._c.json("DELETE", f"{self._path(dataset_id, sample_id)}/shapes", Annotation, headers=headers)
