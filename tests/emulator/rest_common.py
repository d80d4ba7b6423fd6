"""HTTP plumbing shared by the REST routes: errors, bodies, auth, global limit, records."""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.typedefs import Middleware

from .models import JSON, Attachment, UnknownRoute
from .ratelimit import too_many_requests_headers
from .state import ApiError, EmulatorState
from .validate import MAX_FILE_BYTES, MAX_REQUEST_FILE_BYTES

API = "/api/v10"
# Interaction callbacks and webhooks carry their own token: no bot auth, no global limit.
PUBLIC_PREFIXES = (f"{API}/interactions/", f"{API}/webhooks/", "/attachments/")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """discord.py parses JSON only when Content-Type is exactly application/json (no charset)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def no_content(headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=204, headers=headers)


def rate_limited(
    retry_after: float, *, is_global: bool, headers: dict[str, str] | None = None
) -> ApiError:
    body: JSON = {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": is_global,
    }
    return ApiError(
        429,
        0,
        "You are being rate limited.",
        body=body,
        headers={**(headers or {}), **too_many_requests_headers(retry_after, is_global=is_global)},
    )


def snowflake(request: web.Request, key: str) -> int:
    try:
        return int(request.match_info[key])
    except ValueError:
        raise ApiError(
            400,
            50035,
            "Invalid Form Body",
            {
                key: {
                    "_errors": [
                        {"code": "NUMBER_TYPE_COERCE", "message": "Value is not snowflake."}
                    ]
                }
            },
        ) from None


async def read_body(request: web.Request) -> tuple[JSON, list[Attachment]]:
    """A JSON object, or multipart with `payload_json` and `files[n]` parts."""
    if not request.content_type.startswith("multipart/"):
        payload = await read_json(request)
        if not isinstance(payload, dict):
            raise ApiError(400, 50109, "The request body contains invalid JSON.")
        return payload, []
    payload = {}
    files: list[Attachment] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "payload_json":
            payload = _parse_json(await part.text())
        elif (part.name or "").startswith("files["):
            filename = part.filename or "unknown"
            guessed = mimetypes.guess_type(filename)[0]
            content_type = guessed or part.headers.get("Content-Type") or ""
            files.append(Attachment(filename, bytes(await part.read()), content_type))
    _check_file_sizes(files)
    return payload, files


async def read_json(request: web.Request) -> Any:
    text = await request.text()
    return _parse_json(text) if text else {}


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from None


def _check_file_sizes(files: list[Attachment]) -> None:
    if (
        any(len(f.data) > MAX_FILE_BYTES for f in files)
        or sum(len(f.data) for f in files) > MAX_REQUEST_FILE_BYTES
    ):
        raise ApiError(413, 40005, "Request entity too large", violation=True)


def error_response(error: ApiError) -> web.Response:
    return json_response(error.body, error.status, error.headers)


def make_middleware(state: EmulatorState) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path == "/":  # the gateway websocket
            return await handler(request)
        try:
            if request.match_info.http_exception is not None:
                state.unknown_routes.append(UnknownRoute(request.method, path))
                raise ApiError(404, 0, "404: Not Found")
            if not path.startswith(PUBLIC_PREFIXES):
                if request.headers.get("Authorization") != f"Bot {state.token}":
                    raise ApiError(401, 0, "401: Unauthorized")
                retry_after = state.rate_limits.check_global()
                if retry_after is not None:
                    raise rate_limited(retry_after, is_global=True)
            response = await handler(request)
        except ApiError as error:
            if error.violation:
                route = request.match_info.route.resource
                template = route.canonical if route is not None else path
                state.record_violation(
                    f"{request.method} {template}", error.code, error.errors or error.message
                )
            response = error_response(error)
        except web.HTTPException:
            raise
        except Exception as error:  # an emulator bug: fail loudly instead of a retried 500
            state.record_violation(f"{request.method} {path}", -1, f"emulator error: {error!r}")
            response = error_response(ApiError(400, -1, f"emulator error: {error!r}"))
        state.record_request(request.method, path, response.status)
        state.notify()
        return response

    return middleware
