"""How ``gone serve`` listens: bind first, then serve with uvicorn, idle connections closed.

uvicorn times a keep-alive connection out only after a response; a connection
that never sends a request is kept forever and counts against its concurrency
limit, so a few dozen idle sockets would make every request a 503. Here a
connection that has not sent a whole request within IDLE_SECONDS of opening
(or of its last response) is closed, and the limit is high enough that idle
sockets in that window do not crowd out real requests.
"""

from __future__ import annotations

import errno
import socket

from ..errors import ConfigError, require

IDLE_SECONDS = 5.0
MAX_CONNECTIONS = 512  # connections and requests in flight; past it uvicorn answers 503
BACKLOG = 128


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` and listening, or ConfigError in one line."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError, OverflowError) as exc:
        raise ConfigError(f"--host {host!r} is not an address this machine can listen on "
                          f"({getattr(exc, 'strerror', None) or exc}); try --host 127.0.0.1 "
                          "and a free --port") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise ConfigError(_bind_message(host, port, exc)) from None
    return sock


def _bind_message(host: str, port: int, exc: OSError) -> str:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return f"cannot listen on {where}: the port is in use; choose another with --port"
    if exc.errno == errno.EACCES:
        return f"cannot listen on {where}: permission denied; choose a port above 1023 with --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return (f"cannot listen on {where}: {host} is not an address of this machine; "
                "use --host 127.0.0.1 (and --port to pick the port)")
    return f"cannot listen on {where}: {exc.strerror or exc}; try another --host or --port"


def idle_closing_protocol(idle: float = IDLE_SECONDS):
    """uvicorn's h11 protocol class, closing connections idle for ``idle`` seconds."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class IdleClosingH11(H11Protocol):
        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._idle = self.loop.call_later(idle, self._close_if_idle)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._idle.cancel()
            self._idle = self.loop.call_later(idle, self._close_if_idle)

        def connection_lost(self, exc) -> None:
            self._idle.cancel()
            super().connection_lost(exc)

        def _close_if_idle(self) -> None:
            # no request in progress: nothing sent, a half-sent header, or done
            if (self.cycle is None or self.cycle.response_complete) \
                    and not self.transport.is_closing():
                self.transport.close()

    return IdleClosingH11


def config(app, idle: float = IDLE_SECONDS):
    """The uvicorn Config ``gone serve`` runs ``app`` with."""
    uvicorn = require("uvicorn", "web")
    return uvicorn.Config(app, http=idle_closing_protocol(idle), lifespan="off",
                          log_level="warning", timeout_keep_alive=idle,
                          limit_concurrency=MAX_CONNECTIONS)


def run(app, sock: socket.socket, idle: float = IDLE_SECONDS) -> None:
    """Serve ``app`` on the bound ``sock`` until Ctrl-C or SIGTERM."""
    uvicorn = require("uvicorn", "web")
    try:
        uvicorn.Server(config(app, idle)).run(sockets=[sock])
    finally:
        sock.close()
