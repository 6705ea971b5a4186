"""Set one top-level key of a JSON column in the database, without reading the rows.

``Event.objects.filter(...).update(data=WithKey("data", "user", {"pk": 1}))`` is one
``UPDATE`` on every supported backend, each with its own JSON function: PostgreSQL's
``jsonb ||``, SQLite's ``json_set``, MySQL's and MariaDB's ``JSON_SET``.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Func, JSONField
from django.db.models.sql.compiler import SQLCompiler

__all__ = ["WithKey"]

_SQL = {
    "postgresql": "({column} || %s::jsonb)",
    "sqlite": "json_set({column}, %s, json(%s))",
    # JSON_EXTRACT(..., '$') makes MariaDB insert a JSON value, not a string holding it.
    "mysql": "JSON_SET({column}, %s, JSON_EXTRACT(%s, '$'))",
}


class WithKey(Func):
    """The JSON object in ``column`` with its top-level ``key`` set to ``value``."""

    output_field = JSONField()

    def __init__(self, column: str, key: str, value: Any) -> None:
        if not key.isidentifier():
            raise ValueError(f"key must be a plain identifier, not {key!r}.")
        super().__init__(F(column))
        self.key = key
        self.value = value

    def as_sql(  # type: ignore[override]
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        **extra_context: Any,
    ) -> tuple[str, tuple[Any, ...]]:
        template = _SQL.get(connection.vendor)
        if template is None:
            raise NotSupportedError(f"WithKey is not supported on {connection.vendor}.")
        column, params = compiler.compile(self.get_source_expressions()[0])
        if connection.vendor == "postgresql":
            values: tuple[Any, ...] = (json.dumps({self.key: self.value}),)
        else:
            values = (f"$.{self.key}", json.dumps(self.value))
        return template.format(column=column), (*params, *values)
