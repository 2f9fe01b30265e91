"""`labelstream labels watch`: label changes from Kafka as JSON lines (extra `[live]`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)


@app.command()
def watch(
    kafka: Annotated[
        str, typer.Option(envvar="LABELSTREAM_KAFKA", help="Kafka's bootstrap servers")
    ] = "127.0.0.1:9092",
    dataset: Annotated[str | None, typer.Option(help="only this dataset's changes (its id)")] = None,
    position: Annotated[Path | None, typer.Option(help="resume from, and keep, the position in this file")] = None,
    from_start: Annotated[bool, typer.Option(help="first every sample's current labels")] = False,
    idle_timeout: Annotated[float | None, typer.Option(help="stop after this many seconds without a change")] = None,
) -> None:
    """Print each LabelChanged (and each deletion) as a JSON line, as it comes: {sample_id, deleted, partition,
    offset, event}. Without --position or --from-start, only changes from now on."""
    from labelstream.live import LiveLabels

    async def follow() -> None:
        live = LiveLabels(kafka, position=position, dataset_id=dataset, start_at_end=not from_start)
        async with live:
            async for change in live.follow(idle_timeout_s=idle_timeout):
                typer.echo(change.to_json())

    asyncio.run(follow())
