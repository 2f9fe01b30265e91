"""`Client`: the gateway's API, one attribute per resource.

client = Client("http://127.0.0.1:8000", username="admin", password="admin")
for dataset in client.datasets.list(): ...
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

import httpx

from labelstream.api.annotations import Annotations
from labelstream.api.datasets import Datasets, Samples
from labelstream.api.http import Connection, RetryPolicy
from labelstream.api.sync import Imports, SyncRuns
from labelstream.api.users import Users
from labelstream.api.versions import Exports, Versions
from labelstream.models import Session


class Client:
    """The platform's API through its gateway at `url`. Log in with `username` and `password` (the session is
    refreshed before it expires and renewed on a 401), or hand over a `session` from an earlier login. Requests
    refused with 429 or 503 (and, for methods safe to repeat, 502, 504 or a lost connection) are sent again with
    exponential backoff, honouring Retry-After; errors raise `labelstream.errors.ApiError` subclasses."""

    def __init__(
        self,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        session: Session | None = None,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        on_session: Callable[[Session], None] | None = None,
    ) -> None:
        self.connection = Connection(
            url, username=username, password=password, session=session, timeout=timeout, retry=retry,
            transport=transport, on_session=on_session,
        )  # fmt: skip
        self.datasets = Datasets(self.connection)
        self.samples = Samples(self.connection)
        self.sync_runs = SyncRuns(self.connection)
        self.imports = Imports(self.connection)
        self.versions = Versions(self.connection)
        self.exports = Exports(self.connection)
        self.annotations = Annotations(self.connection)
        self.users = Users(self.connection)

    @property
    def url(self) -> str:
        return self.connection.base_url

    def login(self, username: str, password: str) -> Session:
        return self.connection.login(username, password)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
