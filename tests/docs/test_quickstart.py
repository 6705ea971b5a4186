"""The quickstart, run as a newcomer would: a new project, the documented files, a real server."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.docfiles import DOCS

FILES = DOCS / "examples" / "newproject"
PASSWORD = "quickstart-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Project:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "COVERAGE_PROCESS"))
        }
        self.env["DJANGO_SUPERUSER_PASSWORD"] = PASSWORD

    def run(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def manage(self, *args: str) -> str:
        return self.run("manage.py", *args)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The steps of "Make a project" and the first four of "Run it"."""
    made = Project(tmp_path_factory.mktemp("quickstart"))
    made.run("-m", "django", "startproject", "mysite", ".")
    made.manage("startapp", "studies")
    settings = made.folder / "mysite" / "settings.py"
    settings.write_text(settings.read_text() + "\n" + (FILES / "settings.py").read_text())
    shutil.copy(FILES / "urls.py", made.folder / "mysite" / "urls.py")
    for name in ("models.py", "views.py", "admin.py"):
        shutil.copy(FILES / "studies" / name, made.folder / "studies" / name)
    made.manage("makemigrations", "studies")
    made.manage("migrate")
    made.manage(
        "createsuperuser", "--noinput", "--username", "admin", "--email", "admin@example.com"
    )
    made.manage(
        "shell", "-c", "from studies.models import Study; Study.objects.create(name='Pilot study')"
    )
    return made


@pytest.fixture(scope="module")
def server(project: Project) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=project.folder,
        env=project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}", process
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


def csrf_post(
    opener: urllib.request.OpenerDirector,
    jar: http.cookiejar.CookieJar,
    url: str,
    fields: dict[str, str],
) -> str:
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token or ""}).encode()
    with opener.open(url, data=body, timeout=30) as response:
        return str(response.read().decode())


@pytest.fixture(scope="module")
def visited(project: Project, server: tuple[str, subprocess.Popen[str]]) -> tuple[str, str]:
    """Log in, join the study, stop the server; return its console output and the rows."""
    base, process = server
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/admin/login/", timeout=30).read()
    csrf_post(
        opener,
        jar,
        f"{base}/admin/login/?next=/admin/",
        {"username": "admin", "password": PASSWORD, "next": "/admin/"},
    )
    form = opener.open(f"{base}/studies/1/join/", timeout=30).read().decode()
    assert "Join Pilot study" in form
    answer = csrf_post(opener, jar, f"{base}/studies/1/join/", {})
    assert answer == "Thank you for joining Pilot study."
    time.sleep(1)  # EventHandler writes within 0.2 s; the server is stopped afterwards
    process.terminate()
    console, _ = process.communicate(timeout=30)
    rows = project.manage("shell", "-c", (FILES / "look.py").read_text())
    return console, rows


def test_the_quickstart_stores_the_three_events_it_names(visited: tuple[str, str]) -> None:
    _, rows = visited
    # Django 6's shell says how many names it imported for you; that is not a row.
    printed = [line for line in rows.splitlines() if line and "imported automatically" not in line]
    assert printed == [
        "UserLoggedIn admin None /admin/login/ None",
        "UserConsented admin Pilot study /studies/1/join/ None",
        "ConsentFormSigned admin Pilot study Consent form v3 signed {'form': 3}",
    ]


def test_the_quickstart_prints_the_log_lines_it_shows(visited: tuple[str, str]) -> None:
    console, _ = visited
    lines = [line for line in console.splitlines() if line.startswith("INFO ")]
    assert re.match(
        r"INFO djangotailoring\.tracking\.events \[[0-9a-f]{32} admin\] UserLoggedIn user=admin "
        r"path=/admin/login/",
        lines[0],
    ), lines
    consented = next(line for line in lines if "UserConsented" in line)
    assert re.match(
        r"INFO djangotailoring\.tracking\.events \[[0-9a-f]{32} admin\] UserConsented user=admin "
        r"related=Pilot study path=/studies/1/join/",
        consented,
    ), consented
    signed = next(line for line in lines if "Consent form" in line)
    assert re.fullmatch(
        r"INFO studies\.audit \[[0-9a-f]{32} admin\] Consent form v3 signed", signed
    )
    # The handler's event is not logged a second time by the events logger.
    assert not any("ConsentFormSigned" in line for line in lines)
