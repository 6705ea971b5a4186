"""With TRACKING_DATABASE, drop the foreign-key constraints of an events table made with them.

A table that 0001 made with TRACKING_DATABASE set has none, and this does nothing; nor does
it without the setting. It is for an existing events table that is to become the events'
own database (say, a replica to be promoted): dropping a foreign key is a change of the
catalogue on PostgreSQL and MySQL/MariaDB (no rewrite of the rows), while SQLite, which
cannot drop a constraint, copies the table.
"""

import copy
from typing import Any

from django.db import migrations

from djangotailoring.tracking.placement import links_constrained

LINKS = ("user", "related_content_type")


def drop_link_constraints(apps: Any, schema_editor: Any) -> None:
    if links_constrained():
        return
    event = apps.get_model("tracking", "Event")
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, event._meta.db_table)
    for name in LINKS:
        field = event._meta.get_field(name)
        if not any(
            found["foreign_key"] and found["columns"] == [field.column]
            for found in constraints.values()
        ):
            continue
        with_constraint = copy.copy(field)
        with_constraint.db_constraint = True
        schema_editor.alter_field(event, with_constraint, field)


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0002_written_batch"),
    ]

    operations = [
        # Not atomic of its own: MySQL/MariaDB cannot run DDL inside a transaction.
        migrations.RunPython(
            drop_link_constraints, migrations.RunPython.noop, atomic=False, elidable=True
        ),
    ]
