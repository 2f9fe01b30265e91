"""`labelstream datasets ls|create|show|delete`."""

from __future__ import annotations

from typing import Annotated

import typer

from labelstream.cli.common import show, state
from labelstream.models import BucketPath, LabelDefinition

app = typer.Typer(no_args_is_help=True)
COLUMNS = ("id", "name", "labeling_type", "created_at")


def bucket_path(text: str) -> BucketPath:
    """bucket/prefix/ (the prefix may be empty)."""
    bucket, _, prefix = text.partition("/")
    return BucketPath(bucket=bucket, prefix=prefix)


@app.command("ls")
def list_datasets(ctx: typer.Context) -> None:
    st = state(ctx)
    with st.client() as client:
        show(st, list(client.datasets.list()), columns=COLUMNS)


@app.command()
def create(
    ctx: typer.Context,
    name: str,
    labeling_type: Annotated[str, typer.Option("--type", help="image_segmentation, object_detection, video_labeling")],
    input_path: Annotated[str, typer.Option("--input", help="bucket/prefix/ of the data")],
    output_path: Annotated[str, typer.Option("--output", help="bucket/prefix/ for versions and exports")],
    description: str = "",
    label: Annotated[list[str] | None, typer.Option(help="name:#rrggbb, repeatable")] = None,
) -> None:
    st = state(ctx)
    labels = [LabelDefinition(name=n, color=c or "#ff0000") for n, _, c in (x.partition(":") for x in label or [])]
    with st.client() as client:
        created = client.datasets.create(
            name=name, labeling_type=labeling_type, input_path=bucket_path(input_path),
            output_path=bucket_path(output_path), description=description, labels=labels,
        )  # fmt: skip
        show(st, created)


@app.command("show")
def show_dataset(ctx: typer.Context, dataset: Annotated[str, typer.Argument(help="id or name")]) -> None:
    st = state(ctx)
    with st.client() as client:
        show(st, client.datasets.resolve(dataset))


@app.command()
def delete(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="id or name")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False,
) -> None:
    """Delete the dataset and its samples (never the objects in the buckets)."""
    st = state(ctx)
    with st.client() as client:
        found = client.datasets.resolve(dataset)
        if not yes:
            typer.confirm(f"delete dataset {found.name!r} ({found.id})?", abort=True)
        client.datasets.delete(found.id)
        show(st, {"deleted": found.id})
