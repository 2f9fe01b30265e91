"""Local users and tokens: argon2id password hashes, HS256-signed short-lived tokens (header or cookie)."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from dataclasses import dataclass
from typing import Protocol

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request
from labelstream_shared.errors import DomainError
from pydantic import BaseModel

from labelstream_gateway.policy import ROLES, Role

TOKEN_COOKIE = "ls_token"  # noqa: S105 - the name of the cookie
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_hasher = PasswordHasher()  # argon2id, the library's RFC 9106 low-memory profile


class UnauthenticatedError(DomainError):
    status_code = 401
    code = "unauthenticated"


class ForbiddenError(DomainError):
    status_code = 403
    code = "forbidden"


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


@dataclass(frozen=True)
class Auth:
    """What the gateway's routes need to authenticate a request."""

    enabled: bool
    tokens: Tokens
    users: UserStore

    def principal(self, request: Request) -> Principal:
        """Who calls: the bearer token, or (for reads only: media in <img>, the event stream) the cookie.
        Raises 401 when authentication is on and neither is valid."""
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if not token and request.method in ("GET", "HEAD"):
            token = request.cookies.get(TOKEN_COOKIE, "")
        if not token:
            if not self.enabled:
                return Principal(username="anonymous", role="admin")
            raise UnauthenticatedError("log in first: Authorization: Bearer <token> (POST /api/auth/login)")
        return self.tokens.check(token)


async def ensure_bootstrap_admin(users: UserStore, *, username: str, password: str) -> bool:
    """Create the first admin when the store is empty; True when it did."""
    if not username or await users.count() > 0:
        return False
    return await users.add(new_user(username, "admin", await hash_password(password)))


def new_secret() -> str:
    return secrets.token_urlsafe(48)
