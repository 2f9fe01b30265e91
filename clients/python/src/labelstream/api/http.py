"""One connection to the gateway: the session (login, refresh before expiry, once more on a 401), retries with
exponential backoff, error answers turned into `labelstream.errors`, cursor pages as iterators, downloads."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import IO, Any, TypeVar

import httpx
from pydantic import BaseModel

from labelstream.api.operations import operation
from labelstream.errors import ApiError, Unauthorized
from labelstream.models import Login, Session

M = TypeVar("M", bound=BaseModel)
Body = bytes | Callable[[], Iterable[bytes]]  # a callable makes the body again for a retry
# 429 and 503 mean the request was not taken: any method is sent again. 502 and 504 (and a connection lost after
# sending) may hide a request that was applied: only requests that are safe to repeat are, the methods below and a
# POST carrying an Idempotency-Key (`idempotent_post`: the service answers a repeat with what the first one made).
RETRY_ALWAYS = frozenset({429, 503})
RETRY_IDEMPOTENT = frozenset({502, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
IDEMPOTENCY_KEY = "Idempotency-Key"


def idempotent_post() -> dict[str, str]:
    """Headers of a POST that creates something (a version, an export): a fresh key, kept across its retries."""
    return {IDEMPOTENCY_KEY: uuid.uuid4().hex}


REFRESH_MARGIN_S = 60  # a token this close to its expiry is refreshed before the next request


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # in all, the first included
    backoff_s: float = 0.5  # doubled each time, with jitter, at most `max_wait_s`
    max_wait_s: float = 30.0

    def wait_s(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_wait_s)
        return float(min(self.backoff_s * 2**attempt, self.max_wait_s) * (0.5 + random.random() / 2))


class Connection:
    """The gateway at `base_url`, logged in with a password or a token (a token's session is refreshed as long as
    it is valid; with a password it logs in again when refreshing fails). `on_session` is told every new session
    (the command line stores it)."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        session: Session | None = None,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        on_session: Callable[[Session], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)
        self._credentials = Login(username=username, password=password) if username and password else None
        self.session = session
        self.retry = retry or RetryPolicy()
        self._on_session = on_session
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    # --- the session ---------------------------------------------------------------------------------------------
    @operation("gateway", "login")
    def login(self, username: str | None = None, password: str | None = None) -> Session:
        if username and password:
            self._credentials = Login(username=username, password=password)
        if self._credentials is None:
            raise Unauthorized(401, "unauthenticated", "no user name and password to log in with")
        answer = self._send("POST", "/api/auth/login", json=self._credentials.model_dump(), auth=False)
        return self._new_session(Session.model_validate(answer.json()))

    @operation("gateway", "refreshToken")
    def refresh(self) -> Session:
        answer = self._send("POST", "/api/auth/refresh", auth=False, headers=self._auth_headers())
        return self._new_session(Session.model_validate(answer.json()))

    def _new_session(self, session: Session) -> Session:
        self.session = session
        self._http.cookies.clear()  # the login's cookie: this client authenticates with the bearer token only
        if self._on_session is not None:
            self._on_session(session)
        return session

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.session.token}"} if self.session else {}

    def _fresh_session(self, *, expired: bool = False) -> None:
        """Refresh a session near its end (or refused: `expired`), log in again when that fails and we can."""
        if self.session is None:
            self.login()
            return
        if not expired and self.session.expires_at - time.time() > REFRESH_MARGIN_S:
            return
        try:
            self.refresh()
        except Unauthorized:
            if self._credentials is None:
                raise
            self.login()

    # --- requests ------------------------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content: Body | None = None,
    ) -> httpx.Response:
        """Send with the session's token; a 401 refreshes the session (or logs in again) and sends once more."""
        send = partial(self._send, method, path, json=json, params=params, headers=headers, content=content)
        self._fresh_session()
        try:
            return send()
        except Unauthorized:
            self._fresh_session(expired=True)
            return send()  # with the new session's token

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content: Body | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        all_headers = {**(self._auth_headers() if auth else {}), **(headers or {})}
        repeatable = method in IDEMPOTENT or IDEMPOTENCY_KEY in all_headers
        for attempt in range(self.retry.attempts):
            body = content() if callable(content) else content
            last = attempt == self.retry.attempts - 1
            try:
                answer = self._http.request(method, path, json=json, params=params, headers=all_headers, content=body)
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if last or not (repeatable or never_sent):
                    raise
                self._sleep(self.retry.wait_s(attempt, None))
                continue
            if answer.status_code < 400:
                return answer
            error = ApiError.of(answer)
            if last or not _retryable(answer.status_code, repeatable=repeatable):
                raise error
            self._sleep(self.retry.wait_s(attempt, error.retry_after))
        raise AssertionError("unreachable")  # pragma: no cover

    def json(self, method: str, path: str, model: type[M], **kwargs: Any) -> M:
        return model.model_validate(self.request(method, path, **kwargs).json())

    def pages(
        self, path: str, model: type[M], *, params: Mapping[str, Any] | None = None, limit: int = 100
    ) -> Iterator[M]:
        """Every item of a cursor listing, a page at a time (`next_cursor` passed back until it is null)."""
        query = {k: v for k, v in (params or {}).items() if v is not None} | {"limit": limit}
        while True:
            page = self.request("GET", path, params=query).json()
            for item in page["items"]:
                yield model.model_validate(item)
            if not page.get("next_cursor"):
                return
            query["cursor"] = page["next_cursor"]

    def download(self, path: str, out: IO[bytes], *, on_bytes: Callable[[int, int | None], None] | None = None) -> int:
        """Stream a GET's body into `out`; `on_bytes(done, total)` after each chunk. Returns the size."""
        self._fresh_session()
        with self._http.stream("GET", path, headers=self._auth_headers()) as answer:
            if answer.status_code >= 400:
                answer.read()
                raise ApiError.of(answer)
            total = int(answer.headers["content-length"]) if "content-length" in answer.headers else None
            done = 0
            for chunk in answer.iter_bytes(1 << 20):
                out.write(chunk)
                done += len(chunk)
                if on_bytes is not None:
                    on_bytes(done, total)
            return done


def _retryable(status: int, *, repeatable: bool) -> bool:
    return status in RETRY_ALWAYS or (status in RETRY_IDEMPOTENT and repeatable)
