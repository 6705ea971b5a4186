"""The benchmark's own databases: a SQLite file in a temporary folder, a PostgreSQL database.

Both are created before a run and removed after it, whatever happens in between.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class PostgresServer:
    """Where the benchmark may create and drop its PostgreSQL database."""

    name: str = "djangotailoring_bench"
    host: str = "127.0.0.1"
    port: str = "5432"
    user: str = "postgres"
    password: str = ""

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> PostgresServer:
        """The server of the ``--pg-*`` options (the password from ``PGPASSWORD``)."""
        return cls(
            name=args.pg_name,
            host=args.pg_host,
            port=args.pg_port,
            user=args.pg_user,
            password=os.environ.get("PGPASSWORD", ""),
        )


@contextmanager
def sqlite_database(journal: str) -> Iterator[dict[str, str]]:
    """Yield the environment of a run on a fresh SQLite file, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="djangotailoring-bench-") as directory:
        yield {
            "DJANGOTAILORING_BENCH_DB": "sqlite",
            "DJANGOTAILORING_BENCH_SQLITE": os.path.join(directory, "bench.sqlite3"),
            "DJANGOTAILORING_BENCH_SQLITE_JOURNAL": journal,
        }


@contextmanager
def postgres_database(server: PostgresServer) -> Iterator[dict[str, str]]:
    """Yield the environment of a run on a new PostgreSQL database, dropped afterwards."""
    import psycopg
    from psycopg import sql

    statement_drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
        sql.Identifier(server.name)
    )
    statement_create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(server.name))

    def maintenance() -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            dbname="postgres",
            host=server.host,
            port=server.port,
            user=server.user,
            password=server.password,
            autocommit=True,
        )

    with maintenance() as admin:
        admin.execute(statement_drop)
        admin.execute(statement_create)
    try:
        yield {
            "DJANGOTAILORING_BENCH_DB": "postgres",
            "DJANGOTAILORING_BENCH_PG_NAME": server.name,
            "DJANGOTAILORING_BENCH_PG_HOST": server.host,
            "DJANGOTAILORING_BENCH_PG_PORT": server.port,
            "DJANGOTAILORING_BENCH_PG_USER": server.user,
            "DJANGOTAILORING_BENCH_PG_PASSWORD": server.password,
        }
    finally:
        with maintenance() as admin:
            admin.execute(statement_drop)


def database_for(
    name: str, args: argparse.Namespace, *, sqlite_journal: str = "delete"
) -> AbstractContextManager[dict[str, str]]:
    """The run's database ``name`` (``sqlite`` or ``postgres``), from the ``--pg-*`` options."""
    if name == "sqlite":
        return sqlite_database(sqlite_journal)
    return postgres_database(PostgresServer.from_args(args))
