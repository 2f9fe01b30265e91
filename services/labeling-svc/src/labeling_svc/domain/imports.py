"""Annotations of a labeled import, as labeling takes them: each is checked with the rules of every write
(`shapes.validate_shapes`) against its sample's media, and one whose sample's media is not known yet is held on the
sample until it is. Pure: no IO."""

from __future__ import annotations

from labelstream_shared.events.contracts import Shape
from pydantic import BaseModel, ConfigDict

from labeling_svc.domain.shapes import ShapeProblem


class ImportedShapes(BaseModel):
    """One imported annotation (a manifest line's shapes for one sample), applied or held."""

    model_config = ConfigDict(frozen=True)

    import_id: str
    sample_id: str
    shapes: tuple[Shape, ...]
    labeled_by: str | None = None
    line: int | None = None
    item: str | None = None


class Rejection(BaseModel):
    """An imported annotation refused whole, with every problem found."""

    model_config = ConfigDict(frozen=True)

    imported: ImportedShapes
    problems: tuple[ShapeProblem, ...]

    @classmethod
    def sample_unknown(cls, imported: ImportedShapes) -> Rejection:
        problem = ShapeProblem(
            index=None, shape_id=None, rule="unknown_sample", message="the sample is not known to labeling"
        )
        return cls(imported=imported, problems=(problem,))
