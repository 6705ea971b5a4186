"""Run the example project end to end and show the events it records.

    python example/demo.py

Migrates a fresh SQLite database, creates a user and a product, sends real requests through
Django's test client (log in, give consent, buy, view pages, log out, fail a login) and
prints the events as a table, after the log lines emitted along the way: the events logger
``djangotailoring.tracking.events`` as JSON lines with the request context, and the app's
``shop.audit`` logger as text (its calls, stdlib and structlog, are persisted as Events by
``EventHandler``). It ends with an export of the login events.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exampleproject.settings")
os.environ.setdefault("EXAMPLE_DATABASE", str(HERE / "db.sqlite3"))


def heading(text: str) -> None:
    print(f"\n== {text} ==")


def fresh_database() -> None:
    import django
    from django.core.management import call_command

    database = Path(os.environ["EXAMPLE_DATABASE"])
    if database.exists():
        database.unlink()
    django.setup()
    call_command("migrate", verbosity=0)


def print_events() -> None:
    from djangotailoring.tracking.models import Event

    rows = [("id", "timestamp", "name", "user", "note", "related object", "request id")]
    for event in Event.objects.select_related("user").order_by("timestamp", "id"):
        request = event.data.get("request") or {}
        rows.append(
            (
                str(event.pk),
                f"{event.timestamp:%H:%M:%S.%f}"[:-3],
                event.name,
                event.user.get_username() if event.user else "-",
                event.note or "-",
                event.data.get("related_object", "-"),
                (request.get("id") or "-")[:12],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def main() -> int:
    fresh_database()

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from shop.models import Product

    User.objects.create_user("alice", password="wonderland")
    product = Product.objects.create(name="Tea set")
    client = Client()

    heading("Requests (log lines of djangotailoring.tracking.events as they happen)")
    response = client.post("/login/", {"username": "alice", "password": "wonderland"})
    print(f"POST /login/ -> {response.status_code}")
    response = client.post(f"/products/{product.pk}/consent/", HTTP_X_REQUEST_ID="demo-req-1")
    print(f"POST /products/{product.pk}/consent/ -> {response.status_code}")
    response = client.post(f"/products/{product.pk}/buy/")
    print(f"POST /products/{product.pk}/buy/ -> {response.status_code}")
    response = client.get(f"/products/{product.pk}/")
    print(f"GET /products/{product.pk}/ -> {response.status_code}")
    response = client.get("/old-shop/")
    print(f"GET /old-shop/ -> {response.status_code} {response['Location']}")
    response = client.post("/logout/")
    print(f"POST /logout/ -> {response.status_code}")
    response = client.post("/login/", {"username": "alice", "password": "not her password"})
    print(f"POST /login/ (wrong password) -> {response.status_code}")

    # EventHandler writes from a background thread; flush() waits until it has committed.
    for handler in logging.getLogger("shop.audit").handlers:
        handler.flush()

    heading("Events in the database")
    print_events()
    heading("Events related to the product")
    for event in product.events.all():
        print(f"{event.name} by {event.user or '-'} at {event.timestamp:%H:%M:%S}")

    heading("manage.py export_events --name UserLoggedIn --name UserLoginFailed")
    call_command("export_events", "--name", "UserLoggedIn", "--name", "UserLoginFailed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
