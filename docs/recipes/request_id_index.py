"""A migration for one of your apps: index ``data["request"]["id"]`` (PostgreSQL only)."""

from django.db import migrations

# The expression Django compiles ``Event.objects.filter(data__request__id=...)`` to.
CREATE = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS tracking_event_request_id_idx "
    "ON tracking_event ((data #> '{request,id}'))"
)
DROP = "DROP INDEX CONCURRENTLY IF EXISTS tracking_event_request_id_idx"


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction.
    dependencies = [("tracking", "0002_written_batch")]

    operations = [migrations.RunSQL(CREATE, DROP)]
