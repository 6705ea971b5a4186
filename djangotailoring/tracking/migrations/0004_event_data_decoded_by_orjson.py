"""``Event.data`` becomes ``EventDataField``: the same column, decoded faster when read.

Only the migration state changes. The column is the one ``JSONField`` made, so no database
operation runs (``AlterField`` alone would copy the whole table on SQLite).
"""

from django.db import migrations

import djangotailoring.tracking.eventdata


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0003_links_without_constraints"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="event",
                    name="data",
                    field=djangotailoring.tracking.eventdata.EventDataField(
                        blank=True, default=dict, verbose_name="data"
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
