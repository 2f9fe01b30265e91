"""`labelstream users ls|create|set|delete` (admins)."""

from __future__ import annotations

from typing import Annotated

import typer

from labelstream.cli.common import show, state

app = typer.Typer(no_args_is_help=True)
Role = Annotated[str, typer.Option(help="admin, annotator or viewer")]


@app.command("ls")
def list_users(ctx: typer.Context) -> None:
    st = state(ctx)
    with st.client() as client:
        show(st, client.users.list(), columns=("username", "role", "disabled"))


@app.command()
def create(
    ctx: typer.Context,
    username: str,
    role: Role,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    st = state(ctx)
    with st.client() as client:
        show(st, client.users.create(username, password=password, role=role))


@app.command("set")
def update(
    ctx: typer.Context,
    username: str,
    role: Annotated[str | None, typer.Option(help="admin, annotator or viewer")] = None,
    password: Annotated[str | None, typer.Option()] = None,
    disabled: Annotated[
        bool | None, typer.Option("--disable/--enable", help="disable the user (no login) or enable them again")
    ] = None,
) -> None:
    """Change a user's role or password, or disable or enable them (their tokens stop working at once)."""
    st = state(ctx)
    with st.client() as client:
        show(st, client.users.update(username, role=role, password=password, disabled=disabled))


@app.command()
def delete(ctx: typer.Context, username: str) -> None:
    st = state(ctx)
    with st.client() as client:
        client.users.delete(username)
        show(st, {"deleted": username})
