"""The gateway's own API: log in and out, who am I, token refresh, and the users (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from labelstream_shared.errors import ConflictError, NotFoundError
from labelstream_shared.web import error_responses
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


async def auth_of(request: Request) -> Auth:
    auth: Auth = request.app.state.deps.auth
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
    disabled: bool = False  # cannot log in; their tokens are refused

    @classmethod
    def of(cls, user: User | Principal) -> UserPublic:
        return cls(username=user.username, role=user.role, disabled=isinstance(user, User) and user.disabled)


class Session(BaseModel):
    token: str
    token_type: str = "bearer"  # noqa: S105
    expires_at: int  # seconds since the epoch
    user: UserPublic


def _session(auth: Auth, user: User, response: Response) -> Session:
    who = Principal(username=user.username, role=user.role)
    token, expires = auth.tokens.issue(who, generation=user.generation)
    response.set_cookie(
        TOKEN_COOKIE, token, max_age=auth.tokens.ttl_s, httponly=True, samesite="strict", path="/", secure=False
    )
    return Session(token=token, expires_at=expires, user=UserPublic.of(who))


async def _checked(auth: AuthDep, request: Request, *, username: str, password: str) -> User:
    """The user whose password this is; 401 otherwise, 429 after too many failures for the name or the address."""
    address = auth.address_of(request)
    await auth.throttle.check(username=username, address=address)
    user = await auth.users.get(username)
    ok = await verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok:
        await auth.throttle.failed(username=username, address=address)
        raise UnauthenticatedError("wrong user name or password")
    await auth.throttle.succeeded(username=username)
    if user.disabled:  # said only to whoever knows the password
        raise ForbiddenError(f"user {username!r} is disabled: an admin can enable it again")
    return user


@router.post("/login", operation_id="login", responses=error_responses(401, 403, 429))
async def login(body: Login, auth: AuthDep, request: Request, response: Response) -> Session:
    """A token for the user (also set as an HttpOnly cookie, which only reads accept: media, the event stream).
    403 for a disabled user (with the right password); 429 with Retry-After after too many failed logins for the
    user name or from the address."""
    user = await _checked(auth, request, username=body.username, password=body.password)
    return _session(auth, user, response)


@router.post("/refresh", operation_id="refreshToken")
async def refresh(who: Caller, auth: AuthDep, response: Response) -> Session:
    """A fresh token for a caller whose token is still valid (and of the user's current generation)."""
    user = await auth.users.get(who.username)
    if user is None:
        if auth.enabled:
            raise UnauthenticatedError("the user no longer exists")
        user = User(username=who.username, role=who.role, password_hash="")
    return _session(auth, user, response)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=4, max_length=256)


@router.post("/password", operation_id="changeOwnPassword", responses=error_responses(429))
async def change_own_password(
    body: PasswordChange, who: Caller, auth: AuthDep, request: Request, response: Response
) -> Session:
    """Change the caller's own password: every other session of the user ends (their tokens are of the old
    generation); this one goes on with the token answered (and set as the cookie)."""
    user = await _checked(auth, request, username=who.username, password=body.current_password)
    changed = user.changed(password_hash=await hash_password(body.new_password))
    await _store(auth, changed)
    return _session(auth, changed, response)


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
    disabled: bool | None = None


@router.get("/users", operation_id="listUsers")
async def list_users(_: Admin, auth: AuthDep) -> list[UserPublic]:
    return [UserPublic.of(u) for u in await auth.users.list()]


@router.post("/users", operation_id="createUser", status_code=status.HTTP_201_CREATED, responses=error_responses(409))
async def create_user(body: UserCreate, _: Admin, auth: AuthDep) -> UserPublic:
    user = new_user(body.username, body.role, await hash_password(body.password))
    if not await auth.users.add(user):
        raise ConflictError(f"username: {body.username!r} is taken")
    return UserPublic.of(user)


@router.patch("/users/{username}", operation_id="updateUser", responses=error_responses(409))
async def update_user(username: str, body: UserUpdate, who: Admin, auth: AuthDep) -> UserPublic:
    """Change a user's role or password, or disable or enable them (a disabled user keeps their name and history but
    cannot log in): the user's tokens issued before are refused from the next request on (a changed own user too:
    log in again, or use POST /api/auth/password to stay logged in). 409 for an admin disabling themself, and for a
    change that would leave no enabled admin."""
    user = await auth.users.get(username)
    if user is None:
        raise NotFoundError(f"user {username!r} not found")
    if body.disabled and username == who.username:
        raise ConflictError("disabled: an admin cannot disable themself")
    if user.role == "admin" and not user.disabled and (body.role not in (None, "admin") or body.disabled):
        await _another_admin_remains(auth, username, field="disabled" if body.disabled else "role")
    password_hash = await hash_password(body.password) if body.password else None
    changed = user.changed(role=body.role, password_hash=password_hash, disabled=body.disabled)
    await _store(auth, changed)
    return UserPublic.of(changed)


async def _another_admin_remains(auth: Auth, username: str, *, field: str) -> None:
    """An admin's rights go only while another enabled admin remains: nobody could manage users or webhooks
    after."""
    admins = [u for u in await auth.users.list() if u.role == "admin" and not u.disabled and u.username != username]
    if not admins:
        raise ConflictError(f"{field}: {username!r} is the last admin: make another user admin first")


async def _store(auth: Auth, changed: User) -> None:
    if not await auth.users.update(changed):
        raise NotFoundError(f"user {changed.username!r} not found")
    auth.current.forget(changed.username)  # here at once; the other replicas on the change event


@router.delete(
    "/users/{username}",
    operation_id="deleteUser",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(409),
)
async def delete_user(username: str, who: Admin, auth: AuthDep) -> Response:
    if username == who.username:
        raise ConflictError("an admin cannot delete themself")
    if not await auth.users.delete(username):
        raise NotFoundError(f"user {username!r} not found")
    auth.current.forget(username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
