"""A fresh process of the benchmark site that replays the journals of dead server workers.

``python -m tests.journalsite.replayer REQUEST_ID`` (with the benchmark site's settings in
the environment) serves one request for ``/sync/`` in-process, so that its view logs one
record into ``EventHandler`` under ``REQUEST_ID``. That starts the handler's writer, which
replays the journals of the dead processes of its database. The process waits until none is
left (or 20 s have passed), flushes, prints what it saw as one line of JSON and exits (its
own journal, all written, is deleted at exit).
"""

from __future__ import annotations

import glob
import json
import logging
import os
import sys
import time

import django


def dead_journals(folder: str) -> list[str]:
    """The owners of the journals in ``folder`` that belong to another process."""
    own = f"{os.getpid()}-"
    owners = (os.path.basename(path)[: -len(".lock")] for path in glob.glob(f"{folder}/*.lock"))
    return sorted(owner for owner in owners if not owner.startswith(own))


def main(request_id: str) -> dict[str, object]:
    django.setup()
    from django.test import Client

    from djangotailoring.handlers import EventHandler

    (handler,) = logging.getLogger("bench.requests").handlers
    assert isinstance(handler, EventHandler)
    folder = handler.journal_folder
    before = dead_journals(folder)
    started = time.monotonic()
    response = Client().get("/sync/", headers={"X-Request-ID": request_id, "Host": "127.0.0.1"})
    handler.flush(10)
    deadline = started + 20
    while dead_journals(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    handler.flush(10)
    stats = handler.stats
    return {
        "status": response.status_code,
        "echoed": response.headers.get("X-Request-ID"),
        "dead_before": before,
        "dead_after": dead_journals(folder),
        "replayed": stats.replayed,
        "persisted": stats.persisted,
        "seconds": time.monotonic() - started,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])), flush=True)
