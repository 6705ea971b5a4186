"""The test matrix for humans: ``nox -s tests`` runs every Python x Django x database.

Pick one with e.g. ``nox -s "tests-3.12(django='6.0', db='postgres')"``.
CI runs ``.ci/run``, which covers the same matrix corners without needing nox.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "tests", "docs"]

PAIRS = [("3.10", "5.2"), ("3.11", "5.2"), ("3.12", "6.0"), ("3.13", "6.0")]
DATABASES = ["sqlite", "postgres", "mariadb"]


@nox.session
@nox.parametrize(
    ("python", "django", "db"),
    [(python, django, db) for python, django in PAIRS for db in DATABASES],
)
def tests(session: nox.Session, django: str, db: str) -> None:
    extras = "test,mysql" if db == "mariadb" else "test"
    session.install("-e", f".[{extras}]", f"Django~={django}.0")
    session.run("python", "-m", "pytest", *session.posargs, env={"DJANGOTAILORING_TEST_DB": db})


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("-e", ".[lint]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    session.install("-e", ".[docs]")
    session.run(
        "python", "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html"
    )


@nox.session(python="3.11")
def demo(session: nox.Session) -> None:
    session.install("-e", ".[structlog]")
    session.run("python", "example/demo.py")
