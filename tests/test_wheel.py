"""The built wheel works on its own, as the README says: install, configure, check, migrate."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SETTINGS = """
SECRET_KEY = "wheel-test"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "djangotailoring.tracking",
]
MIDDLEWARE = [
    "djangotailoring.tracking.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
ROOT_URLCONF = "tinysite_urls"
USE_TZ = True
LOGGING = {
    "version": 1,
    "handlers": {"events": {"class": "djangotailoring.handlers.EventHandler",
                            "handle_sigterm": False}},
    "loggers": {"app": {"handlers": ["events"], "level": "INFO"}},
}
"""
URLS = """
from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
"""
PROBE = """
import djangotailoring, django
django.setup()
from django.template.loader import get_template
from djangotailoring.tracking import create_event
from djangotailoring.tracking.models import Event
create_event("WheelWorks")
get_template("tracking/admin/timeline.html")
print(djangotailoring.__file__, Event.objects.filter(name="WheelWorks").count())
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling", reason="the test extra (hatchling) is not installed")
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    command += ["-q", "-w", str(out), str(ROOT)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    (built,) = out.glob("djangotailoring-*.whl")
    return built


def test_the_wheel_carries_the_license_templates_and_static_files(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert any(name.endswith("licenses/LICENSE") for name in names), names
    assert "djangotailoring/tracking/templates/tracking/admin/timeline.html" in names
    assert "djangotailoring/tracking/static/tracking/admin/events.css" in names
    assert "djangotailoring/py.typed" in names
    assert not any(name.startswith(("tests/", "docs/", "benchmarks/")) for name in names)


def test_the_wheel_installed_alone_passes_check_and_works(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    purelib = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # The fresh environment gets the wheel's files only; Django and orjson come from this
    # environment (a plain path, so its editable install of djangotailoring is not seen).
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(purelib)
    dependencies = {sysconfig.get_path("purelib"), *site.getsitepackages()}
    (purelib / "dependencies.pth").write_text("\n".join(sorted(dependencies)) + "\n")
    project = tmp_path / "tinysite"
    project.mkdir()
    (project / "tinysite_settings.py").write_text(SETTINGS)
    (project / "tinysite_urls.py").write_text(URLS)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "DJANGO", "COV_", "COVERAGE"))
    }
    env["DJANGO_SETTINGS_MODULE"] = "tinysite_settings"
    env["PYTHONPATH"] = str(project)

    def run(*args: str) -> str:
        result = subprocess.run(
            [str(python), *args], cwd=project, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "no issues" in run("-m", "django", "check")
    run("-m", "django", "migrate", "-v", "0")
    location, count = run("-c", PROBE).split()
    assert Path(location).is_relative_to(purelib)
    assert count == "1"
