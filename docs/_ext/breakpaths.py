"""Let long literals in tables break at ``/``, ``::`` and ``_`` in HTML (a local extension).

Test paths such as ``tests/tracking/test_admin.py::test_inline_shows_only_the_latest_events``
are longer than a table cell; without a break opportunity the browser either widens the
table (sideways scrolling) or breaks them anywhere. An invisible ``<wbr>`` after each
separator lets them wrap between path parts and words, and copying the text is unchanged.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes

SEPARATORS = re.compile(r"(?<=/)|(?<=::)|(?<=_)")


def _break_literals(app: Any, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html":
        return
    for table in doctree.findall(nodes.table):
        for literal in list(table.findall(nodes.literal)):
            text = literal.astext()
            if len(text) < 30:
                continue
            pieces = [piece for piece in SEPARATORS.split(text) if piece]
            children: list[nodes.Node] = []
            for index, piece in enumerate(pieces):
                if index:
                    children.append(nodes.raw("", "<wbr>", format="html"))
                children.append(nodes.Text(piece))
            literal.children = []
            literal.extend(children)


def setup(app: Any) -> dict[str, Any]:
    app.connect("doctree-resolved", _break_literals)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
