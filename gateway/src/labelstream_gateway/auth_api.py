"""The gateway's own API: log in and out, who am I, token refresh, and the users (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from labelstream_shared.errors import ConflictError, NotFoundError
from labelstream_shared.web import app_deps
from pydantic import BaseModel, Field

from labelstream_gateway.auth import (
    TOKEN_COOKIE,
    Auth,
    ForbiddenError,
    Principal,
    UnauthenticatedError,
    User,
    hash_password,
    new_user,
    verify_password,
)
from labelstream_gateway.policy import Role

router = APIRouter(prefix="/api/auth", tags=["auth"])
# Verifying against this when the user does not exist keeps the answer time the same (no user enumeration).
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$hto6aJg4B5W+PfbkkFaB0g$l/yzr/+BRY0QfbpbD0NyMXd2sna9sBM1Iq/qnaGZm3w"


def auth_of(request: Request) -> Auth:
    auth: Auth = app_deps(request).auth
    return auth


AuthDep = Annotated[Auth, Depends(auth_of)]


async def caller(request: Request, auth: AuthDep) -> Principal:
    return await auth.principal(request)


Caller = Annotated[Principal, Depends(caller)]


def admin(who: Caller) -> Principal:
    if who.role != "admin":
        raise ForbiddenError(f"{who.role} may not manage users")
    return who


Admin = Annotated[Principal, Depends(admin)]


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class UserPublic(BaseModel):
    username: str
    role: Role

    @classmethod
    def of(cls, user: User | Principal) -> UserPublic:
        return cls(username=user.username, role=user.role)


class Session(BaseModel):
    token: str
    token_type: str = "bearer"  # noqa: S105
    expires_at: int  # seconds since the epoch
    user: UserPublic


def _session(auth: Auth, who: Principal, response: Response) -> Session:
    token, expires = auth.tokens.issue(who)
    response.set_cookie(
        TOKEN_COOKIE, token, max_age=auth.tokens.ttl_s, httponly=True, samesite="strict", path="/", secure=False
    )
    return Session(token=token, expires_at=expires, user=UserPublic.of(who))


@router.post("/login", operation_id="login")
async def login(body: Login, auth: AuthDep, response: Response) -> Session:
    """A token for the user (also set as an HttpOnly cookie, which only reads accept: media, the event stream)."""
    user = await auth.users.get(body.username)
    ok = await verify_password(user.password_hash if user else _DUMMY_HASH, body.password)
    if user is None or not ok:
        raise UnauthenticatedError("wrong user name or password")
    return _session(auth, Principal(username=user.username, role=user.role), response)


@router.post("/refresh", operation_id="refreshToken")
async def refresh(who: Caller, auth: AuthDep, response: Response) -> Session:
    """A fresh token for a caller whose token is still valid (and who still exists with the same role)."""
    user = await auth.users.get(who.username)
    if auth.enabled and user is None:
        raise UnauthenticatedError("the user no longer exists")
    return _session(auth, Principal(username=who.username, role=user.role if user else who.role), response)


@router.post("/logout", operation_id="logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(response: Response) -> Response:
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


@router.get("/me", operation_id="whoAmI")
async def me(who: Caller) -> UserPublic:
    return UserPublic.of(who)


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=4, max_length=256)
    role: Role


class UserUpdate(BaseModel):
    password: str | None = Field(default=None, min_length=4, max_length=256)
    role: Role | None = None


@router.get("/users", operation_id="listUsers")
async def list_users(_: Admin, auth: AuthDep) -> list[UserPublic]:
    return [UserPublic.of(u) for u in await auth.users.list()]


@router.post("/users", operation_id="createUser", status_code=status.HTTP_201_CREATED)
async def create_user(body: UserCreate, _: Admin, auth: AuthDep) -> UserPublic:
    user = new_user(body.username, body.role, await hash_password(body.password))
    if not await auth.users.add(user):
        raise ConflictError(f"username: {body.username!r} is taken")
    return UserPublic.of(user)


@router.patch("/users/{username}", operation_id="updateUser")
async def update_user(username: str, body: UserUpdate, _: Admin, auth: AuthDep) -> UserPublic:
    user = await auth.users.get(username)
    if user is None:
        raise NotFoundError(f"user {username!r} not found")
    changed = user.model_copy(
        update={
            "role": body.role or user.role,
            "password_hash": await hash_password(body.password) if body.password else user.password_hash,
        }
    )
    await auth.users.update(changed)
    auth.roles.forget(username)
    return UserPublic.of(changed)


@router.delete("/users/{username}", operation_id="deleteUser", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(username: str, who: Admin, auth: AuthDep) -> Response:
    if username == who.username:
        raise ConflictError("an admin cannot delete themself")
    if not await auth.users.delete(username):
        raise NotFoundError(f"user {username!r} not found")
    auth.roles.forget(username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
