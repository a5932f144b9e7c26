"""Several uvicorn workers, each with its own ``SO_REUSEPORT`` listening socket.

uvicorn's own multi-worker mode shares one listening socket between the workers, and
whichever worker wakes first may accept a whole burst of connections: with long-lived
(keep-alive) clients one worker can end up with all of them while the other idles. With
one socket per worker bound to the same port, the kernel spreads new connections evenly
over the workers. Used by ``nlp-contact serve --workers N`` (N > 1) where the platform
has ``SO_REUSEPORT``; a worker that dies is started again.
"""

from __future__ import annotations

import logging
import logging.config
import multiprocessing
import signal
import socket
import time
from types import FrameType
from typing import Any

APP_FACTORY = "service.main:create_app"
RESTART_PAUSE_S = 1.0
STOP_TIMEOUT_S = 30.0

log = logging.getLogger("uvicorn.error")


def reuse_port_supported() -> bool:
    """Whether this platform can give each worker its own socket on the same port."""
    return hasattr(socket, "SO_REUSEPORT")


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` that other ``SO_REUSEPORT`` sockets may share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(app: str, host: str, port: int, uvicorn_options: dict[str, Any]) -> None:
    import uvicorn

    sock = bind(host, port)
    config = uvicorn.Config(app, factory=True, **uvicorn_options)
    uvicorn.Server(config).run(sockets=[sock])


class Supervisor:
    """Starts the workers, restarts one that dies, stops them all on SIGINT or SIGTERM."""

    def __init__(
        self, app: str, host: str, port: int, workers: int, uvicorn_options: dict[str, Any]
    ) -> None:
        self.args = (app, host, port, uvicorn_options)
        self.workers = workers
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[Any] = []
        self.stopping = False

    def _start(self, index: int) -> Any:
        process = self.context.Process(
            target=_worker, args=self.args, name=f"nlp-contact-worker-{index}"
        )
        process.start()
        log.info("Started worker process [%d]", process.pid)
        return process

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> None:
        """Run until a stop signal; then stop the workers (SIGTERM, then SIGKILL)."""
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.processes = [self._start(i) for i in range(self.workers)]
            while not self.stopping:
                time.sleep(0.2)
                for i, process in enumerate(self.processes):
                    if not process.is_alive() and not self.stopping:
                        log.warning(
                            "Worker process [%d] exited with code %s; starting another",
                            process.pid,
                            process.exitcode,
                        )
                        time.sleep(RESTART_PAUSE_S)
                        self.processes[i] = self._start(i)
        finally:
            self._terminate()
            for s, handler in previous.items():
                signal.signal(s, handler)

    def _terminate(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()


def run_workers(
    host: str,
    port: int,
    workers: int,
    uvicorn_options: dict[str, Any],
    app: str = APP_FACTORY,
) -> None:
    """Serve ``app`` (an app factory's import string) with ``workers`` processes.

    The port is bound here first, so a port in use fails before any worker starts
    (``OSError``), and port 0 picks one free port for all the workers.
    """
    config = uvicorn_options.get("log_config")
    if isinstance(config, dict):
        logging.config.dictConfig(config)
    reserved = bind(host, port)  # bound, never listening: keeps the port for the workers
    try:
        port = reserved.getsockname()[1]
        Supervisor(app, host, port, workers, uvicorn_options).run()
    finally:
        reserved.close()
