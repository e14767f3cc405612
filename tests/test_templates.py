"""Django's {# ... #} comment ends on its own line: one left open shows its words on the page."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_no_template_has_a_one_line_comment_spanning_lines():
    open_comments = []
    for path in TEMPLATES.rglob("*.html"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            # every {# on a line must be closed by a #} later on the same line
            if re.search(r"\{#(?!.*#\})", line):
                open_comments.append(f"{path.relative_to(TEMPLATES)}:{number}")
    assert not open_comments, "use {% comment %} for these: " + ", ".join(open_comments)
