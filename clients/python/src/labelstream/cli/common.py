"""What every command shares: the options of the whole command line, the client they make, output (a table or
`--json`) and progress bars (Rich, on stderr, so stdout stays the result)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from labelstream.cli import config
from labelstream.client import Client
from labelstream.errors import Unauthorized
from labelstream.models import Session


@dataclass
class State:
    url: str | None
    json: bool

    def base_url(self) -> str:
        stored = config.load()
        return self.url or (stored.url if stored else config.DEFAULT_URL)

    def client(self) -> Client:
        """Logged in with LABELSTREAM_USERNAME/LABELSTREAM_PASSWORD when set, else the stored session (kept
        fresh: each refresh is stored)."""
        url = self.base_url()
        username, password = os.environ.get("LABELSTREAM_USERNAME"), os.environ.get("LABELSTREAM_PASSWORD")
        if username and password:
            return Client(url, username=username, password=password)
        stored = config.load()
        if stored is None or stored.url.rstrip("/") != url.rstrip("/"):
            raise Unauthorized(401, "unauthenticated", f"not logged in to {url}: run `labelstream login`")

        def keep(session: Session) -> None:
            config.save(config.Stored(url=url, session=session))

        return Client(url, session=stored.session, on_session=keep)


def state(ctx: typer.Context) -> State:
    found: State = ctx.find_root().obj
    return found


def stderr() -> Console:
    return Console(stderr=True)


def show(st: State, value: BaseModel | Sequence[BaseModel] | dict[str, Any], *, columns: Sequence[str] = ()) -> None:
    """The result: JSON with --json, else a table of `columns` (a list) or the fields (one model)."""
    if st.json:
        typer.echo(json.dumps(_plain(value), ensure_ascii=False))
        return
    console = Console()
    if isinstance(value, BaseModel | dict):
        for key, item in _plain(value).items():
            console.print(f"[bold]{key}[/]: {json.dumps(item) if isinstance(item, dict | list) else item}")
        return
    table = Table(*columns)
    for row in value:
        plain = _plain(row)
        table.add_row(*(str(plain.get(c, "")) for c in columns))
    console.print(table)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def progress(*, bytes_: bool = False) -> Progress:
    """A progress bar on stderr: counts (n/total) or bytes."""
    amount = DownloadColumn() if bytes_ else MofNCompleteColumn()
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), amount, TimeElapsedColumn(), console=stderr())
