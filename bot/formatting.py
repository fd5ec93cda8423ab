"""Rendering answers as plain text (terminal chat, `ask`)."""

from __future__ import annotations

import textwrap

from bot.answering import Answer, Citation


def excerpt(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def place(citation: Citation) -> str:
    """Where a citation points: "paragraph 3", or the metadata field it quotes."""
    return f"metadata ({citation.metadata})" if citation.metadata else f"paragraph {citation.paragraph}"


def citation_line(citation: Citation, limit: int = 300) -> str:
    where = f"{citation.title}, {place(citation)}"
    line = f"[{citation.n}] {where}: \u201c{excerpt(citation.text, limit)}\u201d"
    if citation.url:
        line += f" <{citation.url}>"
    return line


def render_answer(answer: Answer, width: int = 100) -> str:
    lines = [textwrap.fill(answer.text, width)]
    if answer.citations:
        lines.append("")
        lines.extend(
            textwrap.fill(citation_line(c), width, subsequent_indent="    ") for c in answer.citations
        )
    if answer.related:
        lines.append("")
        lines.append("Related reading:")
        lines.extend(
            textwrap.fill(citation_line(c, 200), width, subsequent_indent="    ") for c in answer.related
        )
    return "\n".join(lines)
