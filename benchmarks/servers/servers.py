"""The server configurations measured, and starting and stopping one server process.

Every run gets a server process of its own, bound to ``127.0.0.1`` on a free port, and
stopped gracefully with ``SIGTERM`` (gunicorn's arbiter and uvicorn's supervisor pass it on
to their workers, which finish their requests and exit).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
WSGI_APP = "benchmarks.servers.wsgi:application"
ASGI_APP = "benchmarks.servers.asgi:application"


@dataclass(frozen=True)
class ServerConfig:
    """One way of serving the project, and the load wrk puts on it."""

    key: str
    label: str
    server: str  # "gunicorn" or "uvicorn"
    interface: str  # "wsgi" or "asgi"
    workers: int
    connections: int
    wrk_threads: int
    options: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return "/sync/" if self.interface == "wsgi" else "/async/"

    def describe(self) -> str:
        return (
            f"{self.label}: {self.interface.upper()} `{self.path}`, wrk {self.wrk_threads} "
            f"thread{'s' if self.wrk_threads > 1 else ''}, {self.connections} "
            f"connection{'s' if self.connections > 1 else ''}"
        )

    def command(self, port: int) -> list[str]:
        if self.server == "uvicorn":
            return [
                sys.executable,
                "-m",
                "uvicorn",
                ASGI_APP,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(self.workers),
                "--no-access-log",
                "--log-level",
                "warning",
                "--lifespan",
                "off",
                *self.options,
            ]
        return [
            sys.executable,
            "-m",
            "gunicorn",
            WSGI_APP if self.interface == "wsgi" else ASGI_APP,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
            "--graceful-timeout",
            "30",
            "--timeout",
            "120",
            *_gunicorn_extras(),
            *self.options,
        ]


def _gunicorn_extras() -> list[str]:
    # gunicorn 25.1 added a control socket in the home folder; the benchmark needs none.
    try:
        major, minor = (int(part) for part in importlib.metadata.version("gunicorn").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return []
    return ["--no-control-socket"] if (major, minor) >= (25, 1) else []


UVICORN_WORKER = "uvicorn_worker.UvicornWorker"

CONFIGS: tuple[ServerConfig, ...] = (
    ServerConfig("sync1", "gunicorn sync, 1 worker", "gunicorn", "wsgi", 1, 1, 1, ("-k", "sync")),
    ServerConfig(
        "sync3",
        "gunicorn sync, 3 workers, --preload",
        "gunicorn",
        "wsgi",
        3,
        6,
        2,
        ("-k", "sync", "--preload"),
    ),
    ServerConfig(
        "gthread",
        "gunicorn gthread, 2 workers x 4 threads",
        "gunicorn",
        "wsgi",
        2,
        8,
        2,
        # A worker takes at most as many connections as it has threads: wrk opens its 8 at
        # once, and the worker that wakes first would otherwise take them all.
        ("-k", "gthread", "--threads", "4", "--worker-connections", "4"),
    ),
    ServerConfig("uvicorn", "uvicorn, 2 workers", "uvicorn", "asgi", 2, 8, 2),
    ServerConfig(
        "gunicorn-uvicorn",
        "gunicorn + UvicornWorker, 2 workers",
        "gunicorn",
        "asgi",
        2,
        8,
        2,
        ("-k", UVICORN_WORKER),
    ),
)
BY_KEY = {config.key: config for config in CONFIGS}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServerError(RuntimeError):
    """The server did not start, or did not stop when asked."""


class Server:
    """One server process; its output goes to ``log_path``."""

    def __init__(self, config: ServerConfig, env: dict[str, str], log_path: str) -> None:
        self.config = config
        self.port = free_port()
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 (closed by stop())
        self.process = subprocess.Popen(  # noqa: S603
            config.command(self.port),
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.exit_status: int | None = None
        self.stop_seconds: float | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self, last: int = 2000) -> str:
        with open(self.log_path, "rb") as stream:
            return stream.read().decode("utf-8", "replace")[-last:]

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Poll ``/ready/`` (no query, no log call) until the server answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(
                    f"{self.config.key} exited with status {self.process.returncode} "
                    f"before answering:\n{self.output()}"
                )
            url = self.base_url + "/ready/"
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(url, timeout=2) as answer,  # noqa: S310
            ):
                if answer.status == 200:
                    return
            time.sleep(0.1)
        raise ServerError(f"{self.config.key} did not answer within {timeout:.0f} s")

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM the server and wait for it (and its workers) to exit; kill it if it hangs."""
        started = time.monotonic()
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
            try:
                self.exit_status = self.process.wait(timeout)
            except subprocess.TimeoutExpired as error:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
                raise ServerError(
                    f"{self.config.key} did not exit within {timeout:.0f} s of SIGTERM"
                ) from error
            self._wait_for_group(timeout)
        finally:
            self.stop_seconds = time.monotonic() - started
            self._log.close()

    def _wait_for_group(self, timeout: float) -> None:
        # Workers of the session may outlive their parent for a moment (uvicorn's spawned
        # processes); wait until none is left so the next run starts alone.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        raise ServerError(f"{self.config.key}: workers still running {timeout:.0f} s after exit")
