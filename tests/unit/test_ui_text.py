"""``ui.text.plain``: any text becomes Markdown that renders as exactly its characters."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from ui.text import cost, duration, plain


@given(st.text(max_size=300))
def test_every_markdown_character_is_escaped(text: str) -> None:
    shown = plain(text, limit=10_000)
    # Drop escaped pairs; whatever punctuation remains would be Markdown syntax.
    assert not re.search(r"[!-/:-@\[-`{-~]", re.sub(r"\\[!-/:-@\[-`{-~]", "", shown))


def test_images_links_html_and_math_are_inert() -> None:
    shown = plain("![x](http://remote.example/a.png) <script>x</script> [a](javascript:1) $x$")
    assert shown.startswith(r"\!\[x\]\(http\:\/\/remote\.example\/a\.png\) \<script\>")
    assert shown.replace("\\", "") == "![x](http://remote.example/a.png) <script>x</script> [a](javascript:1) $x$"


def test_long_and_multiline_text_becomes_one_short_line() -> None:
    assert plain("a\nb\tc" + "d" * 500, limit=20) == "a b c" + "d" * 14 + "…"


def test_figures_read_naturally() -> None:
    assert [duration(0.4), duration(12.3), duration(4_500), duration(90_000)] == [
        "400 µs",
        "12 ms",
        "4.50 s",
        "1.5 min",
    ]
    assert [cost(None), cost(0), cost(0.000031), cost(0.0042), cost(0.5), cost(12.3)] == [
        "\u2013",  # an en dash: no value
        "$0",
        "$0.000031",
        "$0.0042",
        "$0.5000",
        "$12.30",
    ]
