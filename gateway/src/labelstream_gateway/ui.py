"""Serves the web UI: index.html and the bundle built from gateway/ui (npm run build -> static/app/)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response
from labelstream_shared.errors import NotFoundError

STATIC = Path(__file__).parent / "static"
APP = STATIC / "app"  # built by deploy/bootstrap.sh (git-ignored)
router = APIRouter(include_in_schema=False)
# The UI loads only its own script and style; media and API calls go to the same origin.
_SECURITY = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self';"
        " script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
_TYPES = {".js": "text/javascript", ".css": "text/css", ".map": "application/json", ".svg": "image/svg+xml"}


@router.get("/", response_class=HTMLResponse)
async def index() -> Response:
    page = APP / "index.html"
    if not page.exists():
        return HTMLResponse((STATIC / "index.html").read_text())  # the UI is not built: a page that says so
    return FileResponse(page, media_type="text/html", headers={"Cache-Control": "no-cache", **_SECURITY})


@router.get("/app/{name}")
async def asset(name: str) -> Response:
    path = (APP / name).resolve()
    if path.parent != APP.resolve() or not path.is_file() or path.suffix not in _TYPES:
        raise NotFoundError(f"no asset {name!r}")
    return FileResponse(path, media_type=_TYPES[path.suffix], headers={"Cache-Control": "no-cache"})
