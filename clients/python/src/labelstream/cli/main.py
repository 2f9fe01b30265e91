"""The `labelstream` command line. Exit codes: 0 done; 1 an error not listed here; 2 bad usage or input refused
(400/413/422); 3 not found; 4 conflict (409/428); 5 not logged in or not allowed (401/403); 6 rate limited;
7 server error or the gateway unreachable; 8 a download's checksum differs; 9 a task failed; 10 timed out."""

from __future__ import annotations

import sys
from typing import Annotated

import httpx
import typer

from labelstream.cli import config, data, datasets, labels, users, versions
from labelstream.cli.common import State, show, state, stderr
from labelstream.client import Client
from labelstream.errors import LabelstreamError

app = typer.Typer(no_args_is_help=True, help="Labelstream from the command line.", pretty_exceptions_enable=False)
app.add_typer(datasets.app, name="datasets", help="List, create, show and delete datasets.")
app.add_typer(versions.app, name="versions", help="Publish versions, list them, set the current one.")
app.add_typer(labels.app, name="labels", help="Labels as they change (Kafka).")
app.add_typer(users.app, name="users", help="Users and their roles (admins).")
app.command("sync")(data.sync)
app.command("upload")(data.upload)
app.command("import")(data.import_data)
app.command("export")(versions.export)

UNREACHABLE, TIMED_OUT = 7, 10


@app.callback()
def options(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option(envvar="LABELSTREAM_URL", help="the gateway (default: the login's)")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="results as JSON, for scripts")] = False,
) -> None:
    ctx.obj = State(url=url, json=json_output)


@app.command()
def login(
    ctx: typer.Context,
    username: Annotated[str, typer.Option("--username", "-u", prompt=True, envvar="LABELSTREAM_USERNAME")],
    password: Annotated[
        str, typer.Option("--password", "-p", prompt=True, hide_input=True, envvar="LABELSTREAM_PASSWORD")
    ],
) -> None:
    """Log in; the session is kept in the user's config folder (mode 0600) and refreshed as commands run."""
    st = state(ctx)
    url = st.base_url()
    with Client(url) as client:
        session = client.login(username, password)
    config.save(config.Stored(url=url, session=session))
    show(st, {"url": url, "username": session.user.username, "role": session.user.role})


@app.command()
def logout(ctx: typer.Context) -> None:
    """Forget the stored session."""
    show(state(ctx), {"logged_out": config.forget()})


@app.command()
def whoami(ctx: typer.Context) -> None:
    st = state(ctx)
    with st.client() as client:
        show(st, client.users.me())


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns its exit code (errors are told on stderr in one line)."""
    try:
        result = app(args=argv, prog_name="labelstream", standalone_mode=False)
    except typer.TyperException as exc:  # usage errors: shown as Typer shows them
        show_error = getattr(exc, "show", None)
        if show_error is not None:
            show_error()
        return int(exc.exit_code)
    except typer.Abort:
        return 130
    except LabelstreamError as exc:
        stderr().print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return int(getattr(exc, "exit_code", 1))
    except httpx.TransportError as exc:
        stderr().print(f"[red]error:[/] the gateway cannot be reached: {exc}", highlight=False, soft_wrap=True)
        return UNREACHABLE
    except TimeoutError as exc:
        stderr().print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return TIMED_OUT
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())
