"""Labeled imports: the annotations sync-svc found in a manifest (AnnotationsImported) pass the rules of every write
(`domain/shapes.py`) before they replace a sample's shapes. One that breaks a rule is rejected whole: nothing of it
is stored or announced. One whose sample's media is not known yet (no MediaProcessed) is held on the sample and
checked, bounds included, when the media result comes. Each handling answers the import with
ImportedAnnotationsApplied (applied, rejected with every problem, held), through the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field

from labelstream_shared.events import AnnotationsImported, ImportedAnnotationsApplied
from labelstream_shared.events.contracts import ImportedShapeProblem, RejectedAnnotation

from labeling_svc.app.annotations import record_change
from labeling_svc.app.ports import LabelingTransaction
from labeling_svc.domain.annotations import Annotation
from labeling_svc.domain.datasets import LabelingDataset
from labeling_svc.domain.imports import ImportedShapes, Rejection
from labeling_svc.domain.samples import LabelingSample
from labeling_svc.domain.shapes import validate_shapes
from labeling_svc.domain.video import with_time_points


@dataclass
class _Outcome:
    """What came of one import's annotations in this handling."""

    applied: int = 0
    held: int = 0
    released: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def answer(self, *, dataset_id: str, import_id: str) -> ImportedAnnotationsApplied:
        return ImportedAnnotationsApplied(
            dataset_id=dataset_id,
            import_id=import_id,
            applied=self.applied,
            held=self.held,
            released=self.released,
            rejected=tuple(_rejected(r) for r in self.rejected),
        )


async def take_imported_annotations(tx: LabelingTransaction, event: AnnotationsImported) -> None:
    """Apply, hold or reject each imported annotation (in order: a sample named twice ends with the last)."""
    dataset = await tx.datasets.get(event.dataset_id)
    if dataset is None:
        return
    outcome = _Outcome()
    for annotation in event.annotations:
        imported = ImportedShapes(import_id=event.import_id, **annotation.model_dump())
        found = await tx.samples.get_with_annotation(imported.sample_id)
        if found is not None and found[0].dataset_id == dataset.id and not found[0].media_settled:
            await tx.samples.hold_import(imported)
            outcome.held += 1
        else:
            await _apply(tx, dataset, imported, found, outcome)
    tx.emit(outcome.answer(dataset_id=dataset.id, import_id=event.import_id))


async def release_held_imports(tx: LabelingTransaction, *, dataset_id: str, sample_id: str) -> None:
    """The sample's media result came: its held imported annotations are checked and applied or rejected."""
    held = await tx.samples.take_held_imports(sample_id)
    dataset = await tx.datasets.get(dataset_id)
    if not held or dataset is None:
        return
    outcomes: dict[str, _Outcome] = {}
    for imported in held:
        outcome = outcomes.setdefault(imported.import_id, _Outcome())
        outcome.released += 1
        await _apply(tx, dataset, imported, await tx.samples.get_with_annotation(sample_id), outcome)
    for import_id, outcome in outcomes.items():
        tx.emit(outcome.answer(dataset_id=dataset_id, import_id=import_id))


async def _apply(
    tx: LabelingTransaction,
    dataset: LabelingDataset,
    imported: ImportedShapes,
    found: tuple[LabelingSample, Annotation] | None,
    outcome: _Outcome,
) -> None:
    """Check the imported shapes against the sample as it is now (`found`) and record them, or reject them."""
    if found is None or found[0].dataset_id != dataset.id:
        outcome.rejected.append(Rejection.sample_unknown(imported))
        return
    sample, before = found
    shapes = with_time_points(imported.shapes, sample.media_info)
    problems = validate_shapes(shapes, media=sample.media_info, labels=dataset.label_names)
    if problems:
        outcome.rejected.append(Rejection(imported=imported, problems=tuple(problems)))
        return
    after, change = before.replaced(shapes, labeled_by=imported.labeled_by)
    await record_change(tx, before=before, after=after, change=change, operation="import", by=imported.labeled_by)
    outcome.applied += 1


def _rejected(rejection: Rejection) -> RejectedAnnotation:
    imported = rejection.imported
    return RejectedAnnotation(
        sample_id=imported.sample_id,
        line=imported.line,
        item=imported.item,
        problems=_problems(rejection),
    )


def _problems(rejection: Rejection) -> tuple[ImportedShapeProblem, ...]:
    return tuple(
        ImportedShapeProblem(shape_index=p.index, shape_id=p.shape_id, rule=p.rule, message=p.message)
        for p in rejection.problems
    )
