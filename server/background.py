"""A Tornado application served on 127.0.0.1 (or another address) from a thread with its own event loop.

The local Cognito runs this way, so its work never holds up the server's IOLoop; the tests use it
to run the server and stand-in endpoints on real sockets.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Awaitable, Callable

import tornado.httpserver
import tornado.netutil
import tornado.web

# Given the bound port: the application, and what to close when the server stops (or None).
Build = Callable[[int], Awaitable[tuple[tornado.web.Application, Callable[[], Awaitable[None]] | None]]]


class BackgroundServer:
    def __init__(self, build: Build, port: int = 0, name: str = "background-server", host: str = "127.0.0.1"):
        self._build = build
        self._requested_port = port
        self._host = host
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), name=name, daemon=True)
        self.address = ""
        self.port = 0

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop serving the app (None until it has started)."""
        return self._loop

    @property
    def url(self) -> str:
        """Where this machine reaches it: loopback when it listens on every address."""
        host = (
            "127.0.0.1"
            if self._host in ("127.0.0.1", "0.0.0.0", "")
            else ("[::1]" if self._host == "::" else f"[{self._host}]" if ":" in self._host else self._host)
        )
        return f"http://{host}:{self.port}"

    def start(self) -> BackgroundServer:
        """Start serving; returns once the socket listens, or raises what stopped it."""
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self

    async def _serve(self) -> None:
        try:
            sockets = tornado.netutil.bind_sockets(self._requested_port, address=self._host or None)
            self.address, self.port = sockets[0].getsockname()[:2]
            app, cleanup = await self._build(self.port)
            server = tornado.httpserver.HTTPServer(app)
            server.add_sockets(sockets)
        except BaseException as error:  # handed to the thread that called start()
            self._error = error
            self._ready.set()
            return
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        server.stop()
        await server.close_all_connections()
        if cleanup is not None:
            await cleanup()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)
