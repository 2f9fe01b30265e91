"""`labelstream sync|upload|import`: getting data into a dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelstream.cli.common import progress, show, state
from labelstream.errors import Failed
from labelstream.models import ArchiveSource, BucketSource, ImportSource, ImportTask, ManifestSource, SyncRun
from labelstream.upload import UploadReport, local_files, stored_etags, to_send
from labelstream.upload import upload as send_files

Dataset = Annotated[str, typer.Argument(help="id or name")]
Wait = Annotated[bool, typer.Option(help="follow the task until it ends, with a progress bar")]


def sync(ctx: typer.Context, dataset: Dataset, wait: Wait = False) -> None:
    """Synchronize the dataset with its input path."""
    st = state(ctx)
    with st.client() as client:
        dataset_id = client.datasets.resolve(dataset).id
        client.sync_runs.wait_known(dataset_id)
        run = client.sync_runs.start(dataset_id)
        if wait:
            with progress() as bar:
                task = bar.add_task("sync", total=None)

                def tell(r: SyncRun) -> None:
                    c = r.counts
                    done = c.added + c.changed + c.unchanged + c.skipped + c.failed
                    bar.update(task, completed=done, total=max(c.listed, done) or None, description=f"sync {r.status}")

                run = client.sync_runs.wait(run.id, on_progress=tell)
        show(st, run)


def upload(
    ctx: typer.Context,
    dataset: Dataset,
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="the pictures and videos to add")],
    jobs: Annotated[int, typer.Option(min=1, max=32, help="files sent at once")] = 4,
    all_files: Annotated[bool, typer.Option(help="every file, not only pictures and videos")] = False,
) -> None:
    """Upload a folder into the dataset's input path (its sub-folders kept in the names). Files already there
    with the same content (checksum against the sample's ETag) are skipped, so running it again resumes."""
    st = state(ctx)
    report = UploadReport()
    with st.client() as client:
        found = client.datasets.resolve(dataset)
        client.sync_runs.wait_known(found.id)
        files = local_files(folder, all_files=all_files)
        with progress() as bar:
            checking = bar.add_task("checking", total=len(files))
            stored = stored_etags(client, found)
            send, same = to_send(files, stored, on_checked=lambda: bar.advance(checking))
            report.unchanged = [f.name for f in same]
        with progress() as bar:
            task = bar.add_task("upload", total=len(send))
            for f, problem in send_files(client, found, send, jobs=jobs):
                if problem is None:
                    report.uploaded.append(f.name)
                else:
                    report.failed[f.name] = problem
                bar.advance(task)
    counts = {"uploaded": len(report.uploaded), "unchanged": len(report.unchanged), "failed": len(report.failed)}
    show(st, {**counts, "failures": report.failed})
    if report.failed:
        raise typer.Exit(1)


def import_data(
    ctx: typer.Context,
    dataset: Dataset,
    bucket: Annotated[str | None, typer.Option(help="import the objects under bucket/prefix/ (with --prefix)")] = None,
    prefix: str = "",
    manifest: Annotated[str | None, typer.Option(help="a manifest in object storage: bucket/key")] = None,
    archive: Annotated[str | None, typer.Option(help="an annotated zip in object storage: bucket/key")] = None,
    file: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="an annotated zip here")] = None,
    format: Annotated[str | None, typer.Option(help="the archive's format (default: recognised)")] = None,
    mode: Annotated[str, typer.Option(help="copy into the input path, or reference in place")] = "copy",
    labeled: Annotated[bool, typer.Option(help="take the manifest's or archive's shapes as annotations")] = False,
    wait: Wait = False,
) -> None:
    """Add data from another bucket path, a manifest, an annotated archive in object storage or a local zip."""
    st = state(ctx)
    with st.client() as client:
        dataset_id = client.datasets.resolve(dataset).id
        client.sync_runs.wait_known(dataset_id)
        if file is not None:
            task = client.imports.upload_archive(dataset_id, file, format=format, labeled=labeled)
        else:
            task = client.imports.start(dataset_id, _source(bucket, prefix, manifest, archive, format), mode=mode,
                                        labeled=labeled)  # fmt: skip
        if wait:
            with progress() as bar:
                shown = bar.add_task("import", total=None)

                def tell(t: ImportTask) -> None:
                    c = t.counts
                    done = c.imported + c.already_present + c.skipped + c.failed
                    bar.update(shown, completed=done, total=c.total or None, description=f"import {t.status}")

                try:
                    task = client.imports.wait(task.id, on_progress=tell)
                except Failed:
                    show(st, client.imports.get(task.id))
                    raise
        show(st, task)


def _source(
    bucket: str | None, prefix: str, manifest: str | None, archive: str | None, format: str | None
) -> ImportSource:
    given = [x for x in (bucket, manifest, archive) if x]
    if len(given) != 1:
        raise typer.BadParameter("give one of --bucket, --manifest, --archive or --file")
    if bucket:
        return BucketSource(bucket=bucket, prefix=prefix)
    where, _, key = (manifest or archive or "").removeprefix("s3://").partition("/")
    return ManifestSource(bucket=where, key=key) if manifest else ArchiveSource(bucket=where, key=key, format=format)
