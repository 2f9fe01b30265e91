"""Every error answer has the one documented form ({"error", "message"}), and the OpenAPI documents say so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import APIRouter, FastAPI
from labelstream_shared.web import create_app, error_responses
from pydantic import BaseModel


class Thing(BaseModel):
    name: str


router = APIRouter(prefix="/api/things")


@router.post("", operation_id="createThing", responses=error_responses(409))
async def create_thing(body: Thing) -> Thing:
    return body


@asynccontextmanager
async def nothing(_app: FastAPI) -> AsyncIterator[None]:
    yield


def app() -> FastAPI:
    return create_app(service="test", lifespan=nothing, routers=[router])


async def test_framework_errors_have_the_error_form() -> None:
    """Found by the API fuzz: a body that is not UTF-8 got FastAPI's {"detail": ...}, which no document declares."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://t") as client:
        malformed = await client.post("/api/things", content=b"\x80abc", headers={"Content-Type": "application/json"})
        assert malformed.status_code == 400
        assert malformed.json() == {"error": "bad_request", "message": "There was an error parsing the body"}
        missing = await client.get("/api/nothing")
        assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
        wrong = await client.delete("/api/things")
        assert (wrong.status_code, wrong.json()["error"]) == (405, "method_not_allowed")
        assert wrong.headers["allow"] == "POST"
        invalid = await client.post("/api/things", json={})
        assert invalid.status_code == 422 and invalid.json()["error"] == "invalid"
        assert invalid.json()["details"] == [{"field": "body.name", "problem": "Field required"}]


def test_the_documents_declare_the_error_answers() -> None:
    document = app().openapi()
    responses = document["paths"]["/api/things"]["post"]["responses"]
    assert sorted(responses) == ["200", "400", "401", "403", "404", "409", "413", "422"]
    assert responses["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert sorted(document["components"]["schemas"]["ErrorBody"]["required"]) == ["error", "message"]
    assert sorted(document["paths"]["/healthz"]["get"]["responses"]) == ["200"]
