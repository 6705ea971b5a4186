"""Draw the documentation's pictures when the docs are built (a local Sphinx extension).

The flow diagram is drawn from code, the benchmark charts from the JSON the benchmarks wrote
(``docs/_data/*.json``, their ``--json`` output), into ``docs/_generated/`` (not committed).
The pages include them as images, so a picture that cannot be drawn fails the build. Run
``python docs/_ext/pictures.py`` to draw them without building the docs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent
DATA = DOCS / "_data"
OUT = DOCS / "_generated"
sys.path.insert(0, str(HERE))

from benchcharts import server_chart, write_chart  # noqa: E402
from flowdiagram import flow_diagram  # noqa: E402


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return loaded


def draw(out: Path = OUT) -> list[Path]:
    """Write every picture into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    pictures = {
        "flow.svg": flow_diagram(),
        "write-path.svg": write_chart(_load("write-path.json")),
        "servers.svg": server_chart(_load("servers.json")),
    }
    written = []
    for name, markup in pictures.items():
        path = out / name
        path.write_text(markup, encoding="utf-8")
        written.append(path)
    return written


def _on_builder_inited(app: Any) -> None:
    draw()


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _on_builder_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    for path in draw():
        print(path)
