"""Local users and tokens: argon2id password hashes, HS256-signed short-lived tokens (header or cookie) that name the
user's token generation: changing a user's role or password gives it a new generation, which ends its older tokens."""

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
from labelstream_gateway.throttle import LoginThrottle, MemoryLoginFailures, client_address

TOKEN_COOKIE = "ls_token"  # noqa: S105 - the name of the cookie
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_hasher = PasswordHasher()  # argon2id, the library's RFC 9106 low-memory profile


class User(BaseModel):
    username: str
    role: Role
    password_hash: str
    # Tokens name the generation they were issued at; a new one (role or password changed) refuses the older
    # tokens. Random, not a counter: a user deleted and created again under the same name starts a new one.
    generation: str = ""  # users stored before generations existed: "", as their tokens without one
    # A disabled user keeps their name, role and history but cannot log in, and their tokens are refused.
    disabled: bool = False

    def changed(
        self, *, role: Role | None = None, password_hash: str | None = None, disabled: bool | None = None
    ) -> User:
        """The user with a new role, password and/or disabled state; any change starts a new token generation."""
        if role in (None, self.role) and password_hash is None and disabled in (None, self.disabled):
            return self
        update = {
            "role": role or self.role,
            "password_hash": password_hash or self.password_hash,
            "disabled": self.disabled if disabled is None else disabled,
        }
        return self.model_copy(update={**update, "generation": new_generation()})


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role


@dataclass(frozen=True)
class Claims(Principal):
    """What a valid token says: who, the role at issue, and the user's token generation at issue."""

    generation: str = ""


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
    return User(username=username, role=role, password_hash=password_hash, generation=new_generation())


def new_generation() -> str:
    return secrets.token_hex(8)


class Tokens:
    """Issues and checks signed tokens (sub: username, role, gen: the user's token generation, exp). A token whose
    signature was verified is remembered with its claims until it expires, so a client's every request does not pay
    for decoding and verifying it again (a quarter of the gateway's CPU per proxied request); what its user may do
    now is still checked on every request (CurrentUsers)."""

    ALGORITHM = "HS256"
    REMEMBERED = 10_000

    def __init__(self, secret: str, *, ttl_s: int, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self.ttl_s = ttl_s
        self._clock = clock
        self._verified: dict[str, tuple[int, Claims]] = {}

    def issue(self, principal: Principal, *, generation: str) -> tuple[str, int]:
        now = int(self._clock())
        claims = {"sub": principal.username, "role": principal.role, "gen": generation, "exp": now + self.ttl_s}
        return jwt.encode({**claims, "iat": now}, self._secret, algorithm=self.ALGORITHM), now + self.ttl_s

    def check(self, token: str) -> Claims:
        known = self._verified.get(token)
        if known is not None and self._clock() < known[0]:
            return known[1]
        claims = self._verify(token)
        if self._clock() >= claims[0]:
            self._verified.pop(token, None)
            raise UnauthenticatedError("token expired: log in again")
        if len(self._verified) >= self.REMEMBERED:
            self._verified.clear()
        self._verified[token] = claims
        return claims[1]

    def _verify(self, token: str) -> tuple[int, Claims]:
        # the expiry is checked by the caller, against this class's clock (the one tokens are issued by)
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self.ALGORITHM],
                options={"require": ["exp", "sub"], "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            raise UnauthenticatedError("invalid token") from exc
        role, generation = claims.get("role"), claims.get("gen", "")
        if role not in ROLES or not isinstance(generation, str):
            raise UnauthenticatedError("invalid token")
        return int(claims["exp"]), Claims(username=str(claims["sub"]), role=role, generation=generation)


@dataclass(frozen=True)
class UserNow:
    role: Role
    generation: str
    disabled: bool = False


class CurrentUsers:
    """Each user's role and token generation now, read from the user store and kept at most `ttl_s` seconds. A
    token's claims are what the user had at login: a demoted, deleted or re-passworded user must not keep using it
    until it expires. Every replica forgets a user on the users collection's change event (`forget`, fed by
    users_mongo.watch_users); `ttl_s` only bounds the staleness while that stream is down."""

    def __init__(self, users: UserStore, *, ttl_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._users = users
        self._ttl_s = ttl_s
        self._clock = clock
        self._known: dict[str, tuple[float, UserNow | None]] = {}

    async def of(self, username: str) -> UserNow | None:
        """The user's role and generation now; None when the user no longer exists."""
        now = self._clock()
        cached = self._known.get(username)
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        user = await self._users.get(username)
        state = None if user is None else UserNow(role=user.role, generation=user.generation, disabled=user.disabled)
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[username] = (now, state)
        return state

    def forget(self, username: str | None = None) -> None:
        """Forget one user (None: everyone, after events may have been missed)."""
        if username is None:
            self._known.clear()
        else:
            self._known.pop(username, None)


@dataclass(frozen=True)
class Auth:
    """What the gateway's routes need to authenticate a request."""

    enabled: bool
    tokens: Tokens
    users: UserStore
    throttle: LoginThrottle = field(default_factory=lambda: LoginThrottle(MemoryLoginFailures()))
    users_cache_s: float = 10.0
    trusted_proxies: frozenset[str] = frozenset()  # peers whose X-Forwarded-For names the client (throttle.py)
    current: CurrentUsers = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "current", CurrentUsers(self.users, ttl_s=self.users_cache_s))

    def address_of(self, request: Request) -> str:
        peer = request.client.host if request.client else None
        return client_address(peer, request.headers.get("x-forwarded-for"), trusted_proxies=self.trusted_proxies)

    async def principal(self, request: Request) -> Principal:
        """Who calls: the bearer token, or (for reads only: media in <img>, the event stream) the cookie, with the
        role the user has now. Raises 401 when authentication is on and neither is valid, the user no longer exists
        or is disabled, or the token is of an older generation (the user's role or password changed since it was
        issued)."""
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if not token and request.method in ("GET", "HEAD"):
            token = request.cookies.get(TOKEN_COOKIE, "")
        if not token:
            if not self.enabled:
                return Principal(username="anonymous", role="admin")
            raise UnauthenticatedError("log in first: Authorization: Bearer <token> (POST /api/auth/login)")
        claimed = self.tokens.check(token)
        now = await self.current.of(claimed.username)
        if now is None:
            raise UnauthenticatedError("this user no longer exists: log in again")
        if now.disabled:
            raise UnauthenticatedError("this user is disabled: an admin can enable it again")
        if now.generation != claimed.generation:
            raise UnauthenticatedError("this token was issued before the user's role or password changed: log in again")
        return Principal(username=claimed.username, role=now.role)


async def ensure_bootstrap_admin(users: UserStore, *, username: str, password: str) -> bool:
    """Create the first admin when the store is empty; True when it did."""
    if not username or await users.count() > 0:
        return False
    return await users.add(new_user(username, "admin", await hash_password(password)))


def new_secret() -> str:
    return secrets.token_urlsafe(48)
