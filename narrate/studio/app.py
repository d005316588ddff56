"""The studio's HTTP edge: the page, its JSON API, audio streams and progress events, behind a guard."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
import logging
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..audio.playback import to_pcm16
from ..errors import InputError, MissingExtraError, NarrateError, ProfileError
from ..models import Script
from .render import RenderBusy
from .service import NotFound, Studio

MAX_BODY = 64 * 1024
STATIC = {"studio.js": "text/javascript", "studio.css": "text/css"}
_log = logging.getLogger("narrate.studio")
_MEDIA = {
    ".mp3": "audio/mpeg",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".xml": "application/rss+xml",
}


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """Host header values the studio answers: loopback names and the host it is bound to, with the port."""
    bound = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return frozenset(f"{h}:{port}".lower() for h in ("127.0.0.1", "localhost", "[::1]", bound))


def create_app(studio: Studio, *, token: str, host: str, port: int, max_body: int = MAX_BODY) -> ASGIApp:
    """The studio as an ASGI app: every request needs the token, an allowed Host and a small body."""
    api = _Api(studio)
    routes = [
        Route("/", api.index),
        Route("/static/{name}", api.static),
        Route("/api/articles", api.articles),
        Route("/api/script", api.script),
        Route("/api/preview", api.preview, methods=["GET", "POST"]),
        Route("/api/say", api.say, methods=["GET", "POST"]),
        Route("/api/phonemes", api.phonemes),
        Route("/api/lexicon", api.lexicon, methods=["GET", "PUT", "DELETE"]),
        Route("/api/render", api.render, methods=["GET", "POST"]),
        Route("/api/events", api.events),
        Route("/api/episode", api.episode),
        Route("/api/words", api.words),
        Route("/api/check", api.check),
        Route("/files/{name:path}", api.file),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    return Guard(app, token=token, hosts=allowed_hosts(host, port), max_body=max_body, port=port)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _error(exc.status_code, exc.detail)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers={"Cache-Control": "no-store"})


# --- the guard: Host, token, body size ----------------------------------------------------------


class Guard:
    """ASGI middleware in front of everything: DNS rebinding, a missing token and big bodies stop here.

    The token comes as `?token=` (then a cookie is set, as Jupyter does), an `X-Narrate-Token` header,
    an `Authorization: token ...` header, or that cookie.
    """

    def __init__(self, app: ASGIApp, *, token: str, hosts: Iterable[str], max_body: int, port: int) -> None:
        self.app = app
        self.token = token
        self.hosts = frozenset(h.lower() for h in hosts)
        self.max_body = max_body
        self.cookie = f"narrate-studio-{port}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websockets: progress goes over server-sent events
            await send({"type": "websocket.close", "code": 1008})
            return
        headers = Headers(scope=scope)
        refusal = self._refusal(headers)
        if refusal is not None:
            await _error(403, refusal)(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = (query.get("token") or [""])[0]
        if not (
            self._valid(given)
            or self._valid(_header_token(headers))
            or self._valid(_cookie(headers, self.cookie))
        ):
            message = "a token is needed: open the address `narrate studio` printed (it ends in ?token=...)"
            await _error(403, message)(scope, receive, send)
            return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _error(413, f"request body too large: at most {self.max_body} bytes")(scope, receive, send)
            return
        send_with_cookie = self._set_cookie(send) if self._valid(given) else send
        await self.app(scope, self._limited(receive), send_with_cookie)

    def _refusal(self, headers: Headers) -> str | None:
        if headers.get("host", "").lower() not in self.hosts:
            return "this host name is not allowed: open the address `narrate studio` printed"
        origin = headers.get("origin")
        if origin is not None and origin != "null" and urlsplit(origin).netloc.lower() not in self.hosts:
            return "requests from other sites are not allowed"
        return None

    def _valid(self, candidate: str) -> bool:
        return bool(candidate) and hmac.compare_digest(candidate.encode(), self.token.encode())

    def _set_cookie(self, send: Send) -> Send:
        cookie = f"{self.cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict"

        async def sender(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())],
                }
            await send(message)

        return sender

    def _limited(self, receive: Receive) -> Receive:
        seen = 0
        limit = self.max_body

        async def receiver() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:  # a chunked body without Content-Length
                    raise HTTPException(413, f"request body too large: at most {limit} bytes")
            return message

        return receiver


def _header_token(headers: Headers) -> str:
    direct = headers.get("x-narrate-token")
    if direct:
        return direct
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "token" else ""


def _cookie(headers: Headers, name: str) -> str:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


# --- the API ------------------------------------------------------------------------------------

Handler = Callable[["_Api", Request], Awaitable[Response]]


def _api(handler: Handler) -> Handler:
    """Errors as one JSON line with the right status; the server survives anything a request does."""

    @functools.wraps(handler)
    async def wrapper(self: _Api, request: Request) -> Response:
        try:
            return await handler(self, request)
        except HTTPException:
            raise
        except NotFound as exc:
            return _error(404, str(exc))
        except RenderBusy as exc:
            return _error(409, str(exc))
        except MissingExtraError as exc:  # words and check need the check extra (pocketsphinx)
            return _error(501, str(exc))
        except (InputError, ProfileError) as exc:
            return _error(400, str(exc))
        except NarrateError as exc:
            return _error(500, str(exc))
        except Exception as exc:
            _log.exception("studio request %s failed", request.url.path)
            return _error(
                500, f"internal error ({type(exc).__name__}): see the terminal running narrate studio"
            )

    return wrapper


class _Api:
    def __init__(self, studio: Studio) -> None:
        self.studio = studio

    @_api
    async def index(self, request: Request) -> Response:
        page = resources.files("narrate.studio").joinpath("static", "index.html").read_bytes()
        return Response(page, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store"})

    @_api
    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            raise NotFound(f"no file {name!r}")
        data = resources.files("narrate.studio").joinpath("static", name).read_bytes()
        return Response(
            data, media_type=f"{STATIC[name]}; charset=utf-8", headers={"Cache-Control": "no-store"}
        )

    @_api
    async def articles(self, request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(self.studio.articles))

    @_api
    async def script(self, request: Request) -> Response:
        return JSONResponse(
            await run_in_threadpool(self.studio.script_json, request.query_params.get("path"))
        )

    @_api
    async def preview(self, request: Request) -> Response:
        params = await _params(request)
        numbers = {key: _number(params.get(key), key) for key in ("paragraph", "chapter")}
        find = params.get("find")
        if find is not None and not isinstance(find, str):
            raise InputError('"find" must be text')
        selection = await run_in_threadpool(
            self.studio.part, params.get("path"), numbers["paragraph"], numbers["chapter"], find
        )
        return await self._wav(selection.script)

    @_api
    async def say(self, request: Request) -> Response:
        params = await _params(request)
        script = await run_in_threadpool(
            self.studio.line, params.get("text"), params.get("word"), params.get("spoken")
        )
        return await self._wav(script)

    @_api
    async def phonemes(self, request: Request) -> Response:
        params = request.query_params
        found = await run_in_threadpool(self.studio.phonemes, params.get("word"), params.get("spoken"))
        return JSONResponse(found, headers={"Cache-Control": "no-store"})

    async def _wav(self, script: Script) -> Response:
        blocks = await run_in_threadpool(self.studio.audio, script)
        # the first sentence is made before the response starts, so its failure is still a clean error
        first = await run_in_threadpool(next, blocks, None)
        rate = self.studio.voice.rate
        return StreamingResponse(
            _wav_body(blocks, first, rate),
            media_type="audio/wav",
            headers={"Cache-Control": "no-store", "X-Sample-Rate": str(rate)},
        )

    @_api
    async def lexicon(self, request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(await run_in_threadpool(self.studio.lexicon_json))
        params = await _params(request)
        if request.method == "PUT":
            saved = await run_in_threadpool(self.studio.save_entry, params.get("word"), params.get("spoken"))
            return JSONResponse(saved)
        return JSONResponse(await run_in_threadpool(self.studio.remove_entry, params.get("word")))

    @_api
    async def render(self, request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(self.studio.renders.snapshot()[1])
        params = await _params(request)
        paths = params.get("paths")
        if paths is None and "path" in params:
            paths = [params["path"]]
        job = await run_in_threadpool(self.studio.render, paths)
        return JSONResponse(job, status_code=202)

    @_api
    async def events(self, request: Request) -> Response:
        return StreamingResponse(
            _render_events(self.studio),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @_api
    async def episode(self, request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(self.studio.episode, request.query_params.get("path")))

    @_api
    async def words(self, request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(self.studio.words, request.query_params.get("path")))

    @_api
    async def check(self, request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(self.studio.check, request.query_params.get("path")))

    @_api
    async def file(self, request: Request) -> Response:
        path = self.studio.file(request.path_params["name"])
        media = _MEDIA.get(path.suffix.lower(), "application/octet-stream")
        return FileResponse(path, media_type=media, headers={"Cache-Control": "no-cache"})


async def _params(request: Request) -> dict[str, Any]:
    """Query parameters, or a JSON object body for POST, PUT and DELETE."""
    if request.method == "GET":
        return dict(request.query_params)
    body = await request.body()
    if not body:
        return dict(request.query_params)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"the request body must be JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError("the request body must be a JSON object")
    return data


def _number(value: object, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InputError(f'"{name}" must be a number as `narrate script` shows, not {value!r}')
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise InputError(f'"{name}" must be a number as `narrate script` shows, not {value!r}') from None
    if number < 1:
        raise InputError(f'"{name}" numbers start at 1, not {number}')
    return number


def wav_header(rate: int) -> bytes:
    """A 16-bit mono WAV header of unknown length (sizes 0xFFFFFFFF), for audio streamed as it is made."""
    unknown = 0xFFFFFFFF
    return (
        struct.pack("<4sI4s", b"RIFF", unknown, b"WAVE")
        + struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, rate, rate * 2, 2, 16)
        + struct.pack("<4sI", b"data", unknown)
    )


async def _wav_body(
    blocks: Iterator[np.ndarray], first: np.ndarray | None, rate: int
) -> AsyncIterator[bytes]:
    try:
        yield wav_header(rate) + (to_pcm16(first) if first is not None else b"")
        while True:
            block = await run_in_threadpool(next, blocks, None)
            if block is None:
                return
            yield to_pcm16(block)
    except NarrateError as exc:  # a later sentence failed: the stream just ends early
        _log.warning("narrate studio: %s", exc)
    finally:
        # a generator still running on a worker thread (the listener left) ends on its own
        with contextlib.suppress(ValueError):
            blocks.close()  # type: ignore[attr-defined]


async def _render_events(studio: Studio) -> AsyncIterator[str]:
    """Server-sent events: the render's state whenever it changes, ending once the job has ended."""
    yield "retry: 2000\n\n"
    sent = -1
    quiet = 0.0
    while True:
        version, job = studio.renders.snapshot()
        if version != sent:
            sent, quiet = version, 0.0
            yield f"event: render\ndata: {json.dumps(job)}\n\n"
            if job["state"] != "running":
                return
        elif quiet >= 15:
            quiet = 0.0
            yield ": still rendering\n\n"
        await asyncio.sleep(0.1)
        quiet += 0.1
