"""A migration for one of your apps: partition the events table by month (PostgreSQL only).

Put it in e.g. ``ops/migrations/0001_partition_events.py`` of an app of yours. Run it in a
maintenance window: it copies the whole table.
"""

import datetime
import re

from django.db import migrations

TABLE = "tracking_event"
OLD = "tracking_event_unpartitioned"
MONTHS_AHEAD = 3


def next_month(month):
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def ensure_partitions(cursor, first_month, months_ahead=MONTHS_AHEAD):
    """Create the monthly partitions from ``first_month`` until ``months_ahead`` from now."""
    month = first_month.replace(day=1)
    last = datetime.date.today().replace(day=1)
    for _ in range(months_ahead):
        last = next_month(last)
    while month <= last:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE}_{month:%Y_%m} PARTITION OF {TABLE} "
            f"FOR VALUES FROM ('{month} 00:00+00') TO ('{next_month(month)} 00:00+00')"
        )
        month = next_month(month)


def partition_events(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        # Check deferred foreign keys now: a table with pending checks cannot be dropped.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT pg_get_constraintdef(oid), conname FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [TABLE],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE %s",
            [TABLE, "%_pkey"],
        )
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT min("timestamp")::date FROM {TABLE}')
        oldest = cursor.fetchone()[0] or datetime.date.today()

        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
        cursor.execute(
            f'CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS) PARTITION BY RANGE ("timestamp")'
        )
        cursor.execute(f"CREATE SEQUENCE {TABLE}_partitioned_id_seq OWNED BY {TABLE}.id")
        cursor.execute(
            f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{TABLE}_partitioned_id_seq')"
        )
        ensure_partitions(cursor, oldest)
        cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
        # Keys, constraints and indexes come after the copy: building each once is cheaper
        # than maintaining them row by row.
        cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")
        cursor.execute(
            f"SELECT setval('{TABLE}_partitioned_id_seq', "
            f"(SELECT coalesce(max(id), 0) + 1 FROM {TABLE}), false)"
        )
        cursor.execute(f"DROP TABLE {OLD}")
        # The primary key of a partitioned table must contain the partition key.
        cursor.execute(f'ALTER TABLE {TABLE} ADD PRIMARY KEY (id, "timestamp")')
        for definition, name in foreign_keys:
            cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")
        for definition in indexes:
            cursor.execute(re.sub(r" ON (\S+\.)?tracking_event ", f" ON {TABLE} ", definition))


class Migration(migrations.Migration):
    # Name the latest migration of the tracking app at the time you add this one.
    dependencies = [("tracking", "0002_written_batch")]

    operations = [migrations.RunPython(partition_events, migrations.RunPython.noop)]
