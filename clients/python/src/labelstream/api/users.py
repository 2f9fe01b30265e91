"""The gateway's users (admins only) and who is logged in."""

from __future__ import annotations

from labelstream.api.http import Connection
from labelstream.api.operations import operation
from labelstream.models import User, UserCreate, UserUpdate


class Users:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    @operation("gateway", "whoAmI")
    def me(self) -> User:
        return self._c.json("GET", "/api/auth/me", User)

    @operation("gateway", "listUsers")
    def list(self) -> list[User]:
        return [User.model_validate(u) for u in self._c.request("GET", "/api/auth/users").json()]

    @operation("gateway", "createUser")
    def create(self, username: str, *, password: str, role: str) -> User:
        body = UserCreate(username=username, password=password, role=role).model_dump()
        return self._c.json("POST", "/api/auth/users", User, json=body)

    @operation("gateway", "updateUser")
    def update(
        self, username: str, *, role: str | None = None, password: str | None = None, disabled: bool | None = None
    ) -> User:
        """Change a role or password, or disable (True) or enable (False) the user; their tokens stop working."""
        body = UserUpdate(role=role, password=password, disabled=disabled).model_dump(exclude_none=True)
        return self._c.json("PATCH", f"/api/auth/users/{username}", User, json=body)

    @operation("gateway", "deleteUser")
    def delete(self, username: str) -> None:
        self._c.request("DELETE", f"/api/auth/users/{username}")
