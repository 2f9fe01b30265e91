"""`labelstream versions ls|publish|set-current` and `labelstream export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelstream.cli.common import progress, show, state
from labelstream.models import Export, ExportOptions

app = typer.Typer(no_args_is_help=True)
Dataset = Annotated[str, typer.Argument(help="id or name")]
COLUMNS = ("name", "id", "status", "is_current", "sample_count", "published_at")


@app.command("ls")
def list_versions(ctx: typer.Context, dataset: Dataset) -> None:
    st = state(ctx)
    with st.client() as client:
        show(st, list(client.versions.list(client.datasets.resolve(dataset).id)), columns=COLUMNS)


@app.command()
def publish(
    ctx: typer.Context,
    dataset: Dataset,
    description: str = "",
    wait: Annotated[bool, typer.Option(help="until it is published")] = False,
) -> None:
    """Publish the next version of the dataset (its samples and labels as they are now)."""
    st = state(ctx)
    with st.client() as client:
        dataset_id = client.datasets.resolve(dataset).id
        version = client.versions.publish(dataset_id, description=description)
        if wait:
            with progress() as bar:
                bar.add_task(f"publishing {version.name}", total=None)
                version = client.versions.wait(dataset_id, version.id)
        show(st, version)


@app.command("set-current")
def set_current(
    ctx: typer.Context, dataset: Dataset, version: Annotated[str, typer.Argument(help="id or name")]
) -> None:
    st = state(ctx)
    with st.client() as client:
        dataset_id = client.datasets.resolve(dataset).id
        show(st, client.versions.set_current(dataset_id, client.versions.resolve(dataset_id, version).id))


def export(
    ctx: typer.Context,
    dataset: Dataset,
    format: Annotated[str, typer.Option(help="coco, yolo, voc, cvat_images, ... (GET /api/exports/formats)")],
    version: Annotated[str | None, typer.Option(help="a published version (id or name); none: the data now")] = None,
    include_media: Annotated[bool, typer.Option(help="the pictures too")] = False,
    wait: Annotated[bool, typer.Option(help="until it is completed, with a progress bar")] = False,
    output: Annotated[Path | None, typer.Option(help="download the archive into this folder (implies --wait)")] = None,
) -> None:
    """Export a version (or the dataset's data as it is now); with --output, download the archive and check its
    size and SHA-256 against what the API states."""
    st = state(ctx)
    options = ExportOptions(include_media=include_media)
    with st.client() as client:
        dataset_id = client.datasets.resolve(dataset).id
        if version is not None:
            version_id = client.versions.resolve(dataset_id, version).id
            started = client.exports.of_version(dataset_id, version_id, format=format, options=options)
        else:
            started = client.exports.of_current_data(dataset_id, format=format, options=options)
        done = started
        if wait or output is not None:
            with progress() as bar:
                task = bar.add_task("export", total=None)

                def tell(e: Export) -> None:
                    p = e.progress
                    bar.update(
                        task, completed=p.items_done, total=p.items_total or None, description=f"export {e.status}"
                    )

                done = client.exports.wait(dataset_id, started.id, on_progress=tell)
        result: dict[str, object] = {"export": done.model_dump(mode="json")}
        if output is not None:
            with progress(bytes_=True) as bar:
                shown = bar.add_task("download", total=done.archive.size if done.archive else None)
                path = client.exports.download(done, output, on_bytes=lambda n, _t: bar.update(shown, completed=n))
            result |= {"path": str(path), "sha256_verified": True}
        show(st, result)
