"""Rendering answers as plain text (terminal chat, `ask`)."""

from __future__ import annotations

import shutil
import sys
import textwrap

from bot.models import Answer, Citation


def excerpt(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def place(citation: Citation) -> str:
    """Where a citation points: "paragraph 3", or the metadata field it quotes."""
    return f"metadata ({citation.metadata})" if citation.metadata else f"paragraph {citation.paragraph}"


def citation_line(citation: Citation, limit: int = 300) -> str:
    where = f"{citation.name}, {place(citation)}"
    line = f"[{citation.n}] {where}: \u201c{excerpt(citation.text, limit)}\u201d"
    if citation.url:
        line += f" <{citation.url}>"
    return line


def terminal_width() -> int | None:
    """Columns of the terminal stdout writes to, or None when stdout is not a terminal."""
    if not sys.stdout.isatty():
        return None
    return max(shutil.get_terminal_size().columns, 20)


def render_answer(answer: Answer, width: int | None = None) -> str:
    """The answer, its citations and related reading as plain text.

    Wrapped at `width` columns (characters) without breaking words, or not at
    all when `width` is None (output to a file or a pipe).
    """

    def fill(text: str, indent: str = "") -> str:
        if width is None:
            return text
        return textwrap.fill(
            text, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
        )

    lines = [fill(answer.text)]
    if answer.citations:
        lines.append("")
        lines.extend(fill(citation_line(c), "    ") for c in answer.citations)
    if answer.related:
        lines.append("")
        lines.append("Related reading:")
        lines.extend(fill(citation_line(c, 200), "    ") for c in answer.related)
    return "\n".join(lines)
