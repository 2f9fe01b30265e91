"""REST API of labeling-svc: a sample's annotation. Every write names the revision it is based on (`If-Match`
header, or `base_revision` in the body); a stale one gets 409 with the current revision, a missing one 428."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response
from labelstream_shared.errors import NotFoundError, PreconditionRequiredError
from labelstream_shared.events.contracts import MediaKind, Shape
from labelstream_shared.web import IdCursorQuery, LimitQuery, Page, error_responses, page_of
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from labeling_svc.app import annotations as cases
from labeling_svc.app.ports import LabelingTransaction
from labeling_svc.domain.annotations import Annotation, HistoryEntry
from labeling_svc.domain.samples import LabelingSample
from labeling_svc.domain.video import FrameShape, TimePoint, shapes_at_frame, time_points
from labeling_svc.entrypoints.api import Deps, User

router = APIRouter(prefix="/api/labeling/datasets/{dataset_id}/samples/{sample_id}", tags=["annotations"])

IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=40)]


class RevisionRequiredError(PreconditionRequiredError):
    code = "revision_required"


class ShapeIn(BaseModel):
    """A shape as a client writes it; `shape_id` is made up when left out."""

    model_config = ConfigDict(extra="forbid")

    shape_id: StrictStr | None = Field(default=None, min_length=1, max_length=100)
    kind: Literal["polygon", "rectangle", "circle", "polyline", "point", "rotated_rectangle"]
    label: StrictStr = Field(min_length=1, max_length=100)
    points: list[Annotated[list[StrictFloat | StrictInt], Field(min_length=2, max_length=2)]]
    rotation: StrictFloat | StrictInt | None = None
    time_point_s: StrictFloat | StrictInt | None = None
    frame_index: StrictInt | None = None
    object_id: StrictStr | None = Field(default=None, max_length=100)

    def to_shape(self) -> Shape:
        return Shape(
            shape_id=self.shape_id or uuid.uuid4().hex[:12],
            kind=self.kind,
            label=self.label,
            points=tuple((float(p[0]), float(p[1])) for p in self.points),
            rotation=None if self.rotation is None else float(self.rotation),
            time_point_s=None if self.time_point_s is None else float(self.time_point_s),
            frame_index=self.frame_index,
            object_id=self.object_id,
        )


class AnnotationWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shapes: list[ShapeIn]
    base_revision: StrictInt | None = Field(default=None, ge=0)


class HardExampleWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hard_example: StrictBool
    base_revision: StrictInt | None = Field(default=None, ge=0)


class AnnotationPublic(BaseModel):
    sample_id: str
    dataset_id: str
    revision: int
    status: str
    shapes: tuple[Shape, ...]
    labeled_by: str | None
    hard_example: bool
    updated_at: datetime
    media_kind: MediaKind | None = None
    bounds_checked: bool = Field(description="whether shapes were checked against the image size / video length")

    @classmethod
    def of(cls, annotation: Annotation, sample: LabelingSample | None) -> AnnotationPublic:
        info = sample.media_info if sample else None
        known = info is not None and (info.knows_frame if info.kind == "image" else info.duration_s is not None)
        return cls(
            sample_id=annotation.id,
            dataset_id=annotation.dataset_id,
            revision=annotation.revision,
            status=annotation.status,
            shapes=annotation.shapes,
            labeled_by=annotation.labeled_by,
            hard_example=annotation.hard_example,
            updated_at=annotation.updated_at,
            media_kind=sample.media_kind if sample else None,
            bounds_checked=known,
        )


def based_on(if_match: str | None, body_revision: int | None) -> int:
    if if_match is not None:
        value = if_match.strip().removeprefix("W/").strip('"')
        if not value.isdigit():
            raise RevisionRequiredError('If-Match must carry the annotation\'s revision, e.g. If-Match: "3"')
        return int(value)
    if body_revision is None:
        raise RevisionRequiredError("name the revision the write is based on: If-Match header or base_revision")
    return body_revision


async def _annotation(deps: Deps, dataset_id: str, sample_id: str) -> tuple[Annotation, LabelingSample]:
    found = await deps.samples.get_with_annotation(sample_id)
    if found is None or found[0].dataset_id != dataset_id:
        raise NotFoundError(f"sample {sample_id!r} is not known to labeling in dataset {dataset_id!r}")
    sample, annotation = found
    return annotation, sample


def _respond(response: Response, annotation: Annotation, sample: LabelingSample | None) -> AnnotationPublic:
    response.headers["ETag"] = f'"{annotation.revision}"'
    return AnnotationPublic.of(annotation, sample)


@router.get("/annotation", operation_id="getAnnotation")
async def get_annotation(dataset_id: str, sample_id: str, deps: Deps, response: Response) -> AnnotationPublic:
    """The sample's current annotation (revision 0 and no shapes before its first change); ETag: the revision."""
    annotation, sample = await _annotation(deps, dataset_id, sample_id)
    return _respond(response, annotation, sample)


@router.put("/annotation", operation_id="saveAnnotation", responses=error_responses(409, 428))
async def save_annotation(
    dataset_id: str,
    sample_id: str,
    body: AnnotationWrite,
    deps: Deps,
    response: Response,
    if_match: IfMatch = None,
    user: User = "anonymous",
) -> AnnotationPublic:
    """Replace the sample's shapes. 422 naming each offending shape (index, id) and rule, nothing saved;
    409 `stale_revision` with `details.current_revision` when another write came first."""
    revision = based_on(if_match, body.base_revision)
    shapes = tuple(s.to_shape() for s in body.shapes)

    async def work(tx: LabelingTransaction) -> tuple[Annotation, LabelingSample]:
        return await cases.save_shapes(
            tx, dataset_id=dataset_id, sample_id=sample_id, shapes=shapes, based_on=revision, by=user
        )

    annotation, sample = await deps.run(work)
    return _respond(response, annotation, sample)


@router.delete("/annotation/shapes/{shape_id}", operation_id="deleteShape", responses=error_responses(409, 428))
async def delete_shape(
    dataset_id: str,
    sample_id: str,
    shape_id: str,
    deps: Deps,
    response: Response,
    if_match: IfMatch = None,
    user: User = "anonymous",
) -> AnnotationPublic:
    """Delete one shape (404 when the sample has no such shape)."""
    revision = based_on(if_match, None)

    async def work(tx: LabelingTransaction) -> Annotation:
        current = await tx.annotations.get(sample_id)
        if current is not None and all(s.shape_id != shape_id for s in current.shapes):
            raise NotFoundError(f"sample {sample_id!r} has no shape {shape_id!r}")
        return await cases.remove_shapes(
            tx,
            dataset_id=dataset_id,
            sample_id=sample_id,
            unwanted=lambda s: s.shape_id == shape_id,
            operation=f"shape {shape_id} deleted",
            based_on=revision,
            by=user,
        )

    return _respond(response, await deps.run(work), await deps.samples.get(sample_id))


@router.delete("/annotation/shapes", operation_id="deleteShapes", responses=error_responses(409, 428))
async def delete_shapes(
    dataset_id: str,
    sample_id: str,
    deps: Deps,
    response: Response,
    time_point_s: Annotated[float | None, Query(description="only the shapes of this time point (video)")] = None,
    if_match: IfMatch = None,
    user: User = "anonymous",
) -> AnnotationPublic:
    """Delete all shapes of the sample, or all shapes at one time point; a sample left without shapes returns to
    Unlabeled."""
    revision = based_on(if_match, None)
    operation = "all shapes deleted" if time_point_s is None else f"shapes at {time_point_s}s deleted"

    async def work(tx: LabelingTransaction) -> Annotation:
        return await cases.remove_shapes(
            tx,
            dataset_id=dataset_id,
            sample_id=sample_id,
            unwanted=lambda s: time_point_s is None or s.time_point_s == time_point_s,
            operation=operation,
            based_on=revision,
            by=user,
        )

    return _respond(response, await deps.run(work), await deps.samples.get(sample_id))


@router.put("/annotation/hard-example", operation_id="setHardExample", responses=error_responses(409, 428))
async def set_hard_example(
    dataset_id: str,
    sample_id: str,
    body: HardExampleWrite,
    deps: Deps,
    response: Response,
    if_match: IfMatch = None,
    user: User = "anonymous",
) -> AnnotationPublic:
    """Set or clear the sample's hard-example flag (a new revision, announced like any change)."""
    revision = based_on(if_match, body.base_revision)

    async def work(tx: LabelingTransaction) -> Annotation:
        return await cases.flag_hard_example(
            tx, dataset_id=dataset_id, sample_id=sample_id, hard_example=body.hard_example, based_on=revision, by=user
        )

    return _respond(response, await deps.run(work), await deps.samples.get(sample_id))


@router.get("/annotation/time-points", operation_id="listTimePoints")
async def list_time_points(dataset_id: str, sample_id: str, deps: Deps) -> list[TimePoint]:
    """The labeled time points of a video sample, in time order."""
    annotation, _sample = await _annotation(deps, dataset_id, sample_id)
    return time_points(annotation.shapes)


@router.get("/annotation/frames/{frame_index}", operation_id="getFrameShapes")
async def frame_shapes(
    dataset_id: str, sample_id: str, frame_index: Annotated[int, Field(ge=0)], deps: Deps
) -> list[FrameShape]:
    """The shapes of one video frame: those labeled at it, and boxes of objects interpolated linearly between the
    object's two nearest labeled time points (keyframes), each with the rules it breaks (`problems`). 422 naming the
    frame count for a frame past the end."""
    annotation, sample = await _annotation(deps, dataset_id, sample_id)
    fps = sample.media.fps if sample.media else None
    return shapes_at_frame(annotation.shapes, frame=frame_index, fps=fps, media=sample.media_info)


@router.get("/annotation/history", operation_id="listAnnotationHistory")
async def list_history(
    dataset_id: str, sample_id: str, deps: Deps, limit: LimitQuery = 50, cursor: IdCursorQuery = None
) -> Page[HistoryEntry]:
    """Every accepted change of the sample's annotation, oldest first: who, when, what, before and after."""
    await _annotation(deps, dataset_id, sample_id)
    found = await deps.history.list(sample_id, limit=limit + 1, after=cursor)
    return page_of(found, limit=limit, cursor_of=lambda e: e.id)
