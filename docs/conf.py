"""Sphinx configuration of the djangotailoring documentation.

The reference pages are built with autodoc, which imports the package: Django is set up
with the test settings first, so that models and the admin can be imported.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Local extensions: the pictures drawn at build time, and break points in long literals.
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

import djangotailoring  # noqa: E402

project = "djangotailoring"
author = "The djangotailoring developers"
copyright = "The djangotailoring developers"
release = djangotailoring.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.todo",
    "sphinx.ext.viewcode",
    "myst_parser",
    "pictures",
    "breakpaths",
]

# Only reStructuredText pages; CHANGELOG.md is included explicitly with the MyST parser.
source_suffix = {".rst": "restructuredtext"}
exclude_patterns = ["_build", "_generated", "_data", "_ext"]
root_doc = "index"
language = "en"

nitpicky = True
# Without network access there is no intersphinx: references into Django, the standard
# library and structlog cannot be resolved, so they are not reported.
nitpick_ignore_regex = [
    (r"py:.*", r"(django|asgiref|structlog|models|pytest)(\..*)?"),
    (r"py:.*", r"(datetime|logging|collections|typing|uuid|contextvars|decimal|io|os)\..*"),
    # Postponed annotations of dataclass fields, which autodoc cannot split.
    (r"py:class", r"(dict|list|tuple)\[.*"),
    # Private type variables in signatures.
    (r"py:.*", r"(.+\.)?_[A-Za-z]+"),
]
# Django classes that the modules import only for type checking, so autodoc sees bare names.
nitpick_ignore = [
    ("py:class", "AbstractBaseUser"),
    ("py:class", "HttpRequest"),
    ("py:class", "HttpResponseBase"),
    ("py:class", "HttpResponse"),
    ("py:class", "ModelAdmin"),
    ("py:class", "Model"),
    ("py:class", "QuerySet"),
]

# Placeholders for parts of the library that are not released yet are visible on purpose.
todo_include_todos = True

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"show-inheritance": True}
autodoc_preserve_defaults = True

html_theme = "furo"
html_title = f"djangotailoring {release}"
html_static_path = ["_static"]
html_css_files = ["fit.css"]
pygments_style = "friendly"
pygments_dark_style = "monokai"
