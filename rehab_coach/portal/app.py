"""The clinician portal: server-rendered pages under /, the JSON API under /api, both behind a login.

Routes per resource (`pages`, `api`), bodies (`schemas`), the session and CSRF dependencies (`auth`); every
route calls the clinic's services (rehab_coach/services), built by the bootstrap.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rehab_coach import bootstrap
from rehab_coach.portal import auth
from rehab_coach.portal.api import api_routes
from rehab_coach.portal.pages import page_routes, public_routes, render
from rehab_coach.portal.schemas import NOT_LOGGED_IN
from rehab_coach.services.clinic import NotFound

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),  # every page holds personal data: no copies in caches
]


def create_app(database_url: str, tracker_url: str | None, chat_base_url: str) -> FastAPI:
    """The portal on these databases; chat links point at the Rasa server at `chat_base_url`."""
    app = FastAPI(title="Rehab Coach clinician portal", version="1", openapi_url=None, docs_url=None,
                  redoc_url=None)
    clinic, app.state.accounts = bootstrap.clinic(chat_base_url, database_url, tracker_url)
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(auth.LoginRequired, _to_login)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(public_routes())
    app.include_router(page_routes(clinic), dependencies=[Depends(auth.page_session)])
    app.include_router(api_routes(clinic, app), prefix="/api", dependencies=[Depends(auth.api_session)],
                       responses=NOT_LOGGED_IN)
    return app


class SecurityHeaders:
    """Adds the security headers to every response, streamed ones included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


# -- errors ----------------------------------------------------------------------------------------------

def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


async def _to_login(request: Request, error: Exception) -> Response:
    return RedirectResponse("/login", status_code=303)


async def _not_found(request: Request, error: Exception) -> Response:
    return await _http_error(request, StarletteHTTPException(status_code=404, detail=str(error)))


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 405:  # Starlette names only the first route's methods; a path may have several
        error.headers = {"Allow": ", ".join(sorted(_allowed_methods(request)))}
    if _is_api(request):
        return await http_exception_handler(request, error)
    return render(request, "error.html", auth.current_session(request), status=error.status_code,
                  detail=error.detail)


def _allowed_methods(request: Request) -> set[str]:
    allowed: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, APIRoute) and route.matches(request.scope)[0] != Match.NONE:
            allowed |= route.methods
    return allowed


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    if _is_api(request):
        return await request_validation_exception_handler(request, error)
    problems = "; ".join(str(problem.get("msg")) for problem in jsonable_encoder(error.errors()))
    return render(request, "error.html", auth.current_session(request), status=422, detail=problems)
