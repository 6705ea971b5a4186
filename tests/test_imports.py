"""Importing our packages does nothing: LOGGING is applied before the app registry is ready."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_packages_import_without_settings_or_app_registry() -> None:
    result = run(
        """
        import sys
        import djangotailoring, djangotailoring.tracking, djangotailoring.handlers
        assert "djangotailoring.tracking.models" not in sys.modules
        assert "django.contrib.contenttypes.models" not in sys.modules
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_unknown_attribute_is_an_attribute_error() -> None:
    import djangotailoring.handlers
    import djangotailoring.tracking

    for module in (djangotailoring.tracking, djangotailoring.handlers):
        try:
            module.DoesNotExist  # noqa: B018
        except AttributeError as error:
            assert "DoesNotExist" in str(error)
        else:
            raise AssertionError("expected AttributeError")


def test_public_names_are_listed_sorted() -> None:
    import djangotailoring.handlers
    import djangotailoring.tracking

    for module in (djangotailoring.tracking, djangotailoring.handlers):
        assert list(module.__all__) == sorted(module.__all__)
        assert set(module.__all__) <= set(dir(module))


def test_version_is_exposed() -> None:
    import djangotailoring

    assert djangotailoring.__version__
