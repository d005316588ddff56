"""Serve the studio with uvicorn on a socket bound before start, so the address (and port 0) is known."""

from __future__ import annotations

import errno
import ipaddress
import secrets
import socket
import threading

from .._version import pip_install
from ..errors import NarrateError, OutputError
from .service import Studio

EXTRA_MISSING = f"narrate studio needs its optional packages: {pip_install('studio')}"


def require_extra() -> None:
    """Raise a one-line NarrateError naming the extra when starlette or uvicorn is missing."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise NarrateError(EXTRA_MISSING) from None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class StudioServer:
    """The studio's app on a bound socket; `run` blocks (Ctrl-C stops it), `start`/`stop` use a thread."""

    def __init__(
        self, studio: Studio, host: str = "127.0.0.1", port: int = 8765, token: str | None = None
    ) -> None:
        require_extra()
        import uvicorn

        from .app import create_app

        self.host = host
        self.token = token or secrets.token_urlsafe(24)
        self.socket = _bind(host, port)
        self.port = int(self.socket.getsockname()[1])
        self.app = create_app(studio, token=self.token, host=host, port=self.port)
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"http://{shown}:{self.port}/?token={self.token}"

    def run(self) -> None:
        self._server.run(sockets=[self.socket])

    def start(self) -> None:
        """Serve on a thread (tests, benchmarks); returns once the server accepts connections."""
        self._thread = threading.Thread(target=self.run, name="narrate-studio-server", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise OutputError("the studio server stopped while starting: see the messages above")
            self._thread.join(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise OutputError(
                f"port {port} is in use: pick another with --port (0 picks a free one)"
            ) from None
        raise OutputError(f"cannot listen on {host}:{port} ({exc.strerror or exc}): check --host") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock
