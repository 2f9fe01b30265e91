"""Local users and tokens: argon2id password hashes, HS256-signed short-lived tokens (header or cookie)."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request
from labelstream_shared.errors import DomainError
from labelstream_shared.errors import ForbiddenError as ForbiddenError  # raised here, kinds of the shared errors
from labelstream_shared.errors import UnauthenticatedError as UnauthenticatedError
from pydantic import BaseModel

from labelstream_gateway.policy import ROLES, Role

TOKEN_COOKIE = "ls_token"  # noqa: S105 - the name of the cookie
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_hasher = PasswordHasher()  # argon2id, the library's RFC 9106 low-memory profile


class User(BaseModel):
    username: str
    role: Role
    password_hash: str


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role


class UserStore(Protocol):
    async def get(self, username: str) -> User | None: ...
    async def list(self) -> list[User]: ...
    async def add(self, user: User) -> bool: ...  # False when the name is taken
    async def update(self, user: User) -> bool: ...
    async def delete(self, username: str) -> bool: ...
    async def count(self) -> int: ...


class MemoryUserStore:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}

    async def get(self, username: str) -> User | None:
        return self.users.get(username)

    async def list(self) -> list[User]:
        return sorted(self.users.values(), key=lambda u: u.username)

    async def add(self, user: User) -> bool:
        if user.username in self.users:
            return False
        self.users[user.username] = user
        return True

    async def update(self, user: User) -> bool:
        if user.username not in self.users:
            return False
        self.users[user.username] = user
        return True

    async def delete(self, username: str) -> bool:
        return self.users.pop(username, None) is not None

    async def count(self) -> int:
        return len(self.users)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    try:
        return await asyncio.to_thread(_hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_user(username: str, role: str, password_hash: str) -> User:
    if not USERNAME.match(username):
        raise DomainError("username: 1-64 letters, digits or _.@-")
    if role not in ROLES:
        raise DomainError(f"role: one of {', '.join(ROLES)}")
    return User(username=username, role=role, password_hash=password_hash)


class Tokens:
    """Issues and checks signed tokens (sub: username, role, exp)."""

    ALGORITHM = "HS256"

    def __init__(self, secret: str, *, ttl_s: int) -> None:
        self._secret = secret
        self.ttl_s = ttl_s

    def issue(self, principal: Principal) -> tuple[str, int]:
        expires = int(time.time()) + self.ttl_s
        claims = {"sub": principal.username, "role": principal.role, "exp": expires, "iat": int(time.time())}
        return jwt.encode(claims, self._secret, algorithm=self.ALGORITHM), expires

    def check(self, token: str) -> Principal:
        try:
            claims = jwt.decode(token, self._secret, algorithms=[self.ALGORITHM], options={"require": ["exp", "sub"]})
        except jwt.ExpiredSignatureError as exc:
            raise UnauthenticatedError("token expired: log in again") from exc
        except jwt.PyJWTError as exc:
            raise UnauthenticatedError("invalid token") from exc
        role = claims.get("role")
        if role not in ROLES:
            raise UnauthenticatedError("invalid token")
        return Principal(username=str(claims["sub"]), role=role)


class CurrentRoles:
    """The role each user has now, read from the user store and kept for `ttl_s` seconds. A token's role claim is
    what the user had at login: a demoted or deleted user must not keep those rights until the token expires. The
    gateway that changes a user forgets the entry at once; other replicas follow within `ttl_s`."""

    def __init__(self, users: UserStore, *, ttl_s: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._users = users
        self._ttl_s = ttl_s
        self._clock = clock
        self._known: dict[str, tuple[float, Role | None]] = {}

    async def of(self, username: str) -> Role | None:
        """The user's role now; None when the user no longer exists."""
        now = self._clock()
        cached = self._known.get(username)
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        user = await self._users.get(username)
        role = user.role if user is not None else None
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[username] = (now, role)
        return role

    def forget(self, username: str) -> None:
        self._known.pop(username, None)


@dataclass(frozen=True)
class Auth:
    """What the gateway's routes need to authenticate a request."""

    enabled: bool
    tokens: Tokens
    users: UserStore
    roles: CurrentRoles = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", CurrentRoles(self.users))

    async def principal(self, request: Request) -> Principal:
        """Who calls: the bearer token, or (for reads only: media in <img>, the event stream) the cookie, with the
        role the user has now (not the one the token was issued with). Raises 401 when authentication is on and
        neither is valid, or the user no longer exists."""
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if not token and request.method in ("GET", "HEAD"):
            token = request.cookies.get(TOKEN_COOKIE, "")
        if not token:
            if not self.enabled:
                return Principal(username="anonymous", role="admin")
            raise UnauthenticatedError("log in first: Authorization: Bearer <token> (POST /api/auth/login)")
        claimed = self.tokens.check(token)
        role = await self.roles.of(claimed.username)
        if role is None:
            raise UnauthenticatedError("this user no longer exists: log in again")
        return Principal(username=claimed.username, role=role)


async def ensure_bootstrap_admin(users: UserStore, *, username: str, password: str) -> bool:
    """Create the first admin when the store is empty; True when it did."""
    if not username or await users.count() > 0:
        return False
    return await users.add(new_user(username, "admin", await hash_password(password)))


def new_secret() -> str:
    return secrets.token_urlsafe(48)
