"""Use cases on one sample's annotation: save its shapes, delete shapes, flag it as a hard example. Each runs in one
transaction: the annotation (revision + 1), a history entry and its LabelChanged (on the labels topic and the
compacted latest-labels topic) commit together, or nothing does."""

from __future__ import annotations

from collections.abc import Callable

from labelstream_shared.errors import InvalidInputError, NotFoundError
from labelstream_shared.events import LabelChanged
from labelstream_shared.events.contracts import AnnotationChange, Shape
from labelstream_shared.events.topics import LABELS_LATEST

from labeling_svc.app.ports import LabelingTransaction
from labeling_svc.domain.annotations import (
    Annotation,
    HistoryEntry,
    RevisionSummary,
    StaleRevisionError,
    summary_of,
)
from labeling_svc.domain.samples import LabelingSample
from labeling_svc.domain.shapes import ShapeProblem, validate_shapes


class InvalidAnnotationError(InvalidInputError):
    """A write breaking validation rules: 422 naming every offending shape (its index and id) and the rule."""

    code = "invalid_annotation"

    def __init__(self, problems: list[ShapeProblem]) -> None:
        first = problems[0]
        where = "the shapes" if first.index is None else f"shape {first.index} ({first.shape_id!r})"
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        details = [
            {"pointer": p.pointer, "shape_index": p.index, "shape_id": p.shape_id, "rule": p.rule, "message": p.message}
            for p in problems
        ]
        super().__init__(f"{where}: {first.rule}: {first.message}{more}", details=details)


async def record_change(
    tx: LabelingTransaction,
    *,
    before: Annotation,
    after: Annotation,
    change: AnnotationChange,
    operation: str,
    by: str | None,
) -> None:
    """Store an accepted change, record it in the history and announce it."""
    if not await tx.annotations.save(after, expected_revision=before.revision):
        current = await tx.annotations.get(before.id)
        raise StaleRevisionError(
            sample_id=before.id, based_on=before.revision, current=current.revision if current else 0
        )
    summary = summary_of(change, operation=operation)
    await tx.history.add(
        HistoryEntry(
            id=HistoryEntry.id_for(after.id, after.revision),
            sample_id=after.id,
            dataset_id=after.dataset_id,
            revision=after.revision,
            by=by,
            at=after.updated_at,
            operation=operation,
            summary=summary,
            change=change,
            before=RevisionSummary.of(before),
            after=RevisionSummary.of(after),
        )
    )
    event = LabelChanged(
        dataset_id=after.dataset_id,
        sample_id=after.id,
        revision=after.revision,
        shapes=after.shapes,
        change=change,
        labeled_by=after.labeled_by,
        changed_at=after.updated_at,
        hard_example=after.hard_example,
        summary=summary,
    )
    tx.emit(event, also_to=(LABELS_LATEST,))


async def _editable(tx: LabelingTransaction, dataset_id: str, sample_id: str) -> tuple[LabelingSample, Annotation]:
    found = await tx.samples.get_with_annotation(sample_id)
    if found is None or found[0].dataset_id != dataset_id:
        raise NotFoundError(f"sample {sample_id!r} is not known to labeling in dataset {dataset_id!r}")
    return found


async def save_shapes(
    tx: LabelingTransaction, *, dataset_id: str, sample_id: str, shapes: tuple[Shape, ...], based_on: int, by: str
) -> tuple[Annotation, LabelingSample]:
    """Replace the sample's shapes after checking every rule; refused whole (422) on any problem, 409 when stale."""
    dataset = await tx.datasets.get(dataset_id)
    if dataset is None:
        raise NotFoundError(f"dataset {dataset_id!r} is not known to labeling")
    sample, annotation = await _editable(tx, dataset_id, sample_id)
    annotation.check_revision(based_on)
    problems = validate_shapes(shapes, media=sample.media_info, labels=dataset.label_names)
    if problems:
        raise InvalidAnnotationError(problems)
    after, change = annotation.replaced(shapes, labeled_by=by)
    await record_change(tx, before=annotation, after=after, change=change, operation="save", by=by)
    return after, sample


async def remove_shapes(
    tx: LabelingTransaction,
    *,
    dataset_id: str,
    sample_id: str,
    unwanted: Callable[[Shape], bool],
    operation: str,
    based_on: int,
    by: str,
) -> Annotation:
    """Delete the shapes `unwanted` picks (one shape, a time point's, all); a sample left without shapes is
    unlabeled again."""
    _sample, annotation = await _editable(tx, dataset_id, sample_id)
    annotation.check_revision(based_on)
    after, change = annotation.without(unwanted, by=by)
    await record_change(tx, before=annotation, after=after, change=change, operation=operation, by=by)
    return after


async def flag_hard_example(
    tx: LabelingTransaction, *, dataset_id: str, sample_id: str, hard_example: bool, based_on: int, by: str
) -> Annotation:
    _sample, annotation = await _editable(tx, dataset_id, sample_id)
    annotation.check_revision(based_on)
    after, change = annotation.flagged(hard_example)
    operation = "hard_example_set" if hard_example else "hard_example_cleared"
    await record_change(tx, before=annotation, after=after, change=change, operation=operation, by=by)
    return after
