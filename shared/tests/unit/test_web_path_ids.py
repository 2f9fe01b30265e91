"""Path ids are checked the same way on every route of every service (web.create_app): a malformed one is 422 naming
the parameter before the body or any lookup; a well-formed one reaches the route (which answers 404 when it names
nothing)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import APIRouter, FastAPI
from labelstream_shared.errors import NotFoundError
from labelstream_shared.web import create_app
from pydantic import BaseModel

router = APIRouter()


class Body(BaseModel):
    name: str


@router.put("/things/{thing_id}/parts/{shape_id}")
async def put_part(thing_id: str, shape_id: str, body: Body) -> dict[str, str]:
    raise NotFoundError(f"thing {thing_id!r} not found")


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    yield


async def test_a_malformed_path_id_is_422_before_the_body_and_an_unknown_one_reaches_the_route() -> None:
    app = create_app(service="test", lifespan=lifespan, routers=[router])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        for malformed in ("a%20b", "x" * 65, "%C3%A9t%C3%A9", "a%00b"):
            bad = await client.put(f"/things/{malformed}/parts/p1", content=b"not json")
            assert bad.status_code == 422, (malformed, bad.text)
            assert bad.json()["message"].startswith("path.thing_id: not an id"), bad.text
        unknown = await client.put("/things/0123abcd/parts/any%20shape", json={"name": "n"})
        assert unknown.status_code == 404, unknown.text
        assert (await client.put("/things/s-clip.mp4/parts/p", json={"name": "n"})).status_code == 404
