"""Answers, facts and lists as Discord messages, always within Discord's limits.

Every function here returns content or embeds that the API accepts as they
are: long text is split into pages at line or word boundaries, or trimmed
with a visible note, never left for the API to reject (error 50035).
Article text is escaped so that its `*`, `_` or `>` stay literal; mentions in
it are harmless because nothing is sent with mentions allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import discord
from discord.utils import escape_markdown

from bot.digest import Fact
from bot.formatting import place
from bot.models import Answer, ArticleRecord, Citation
from bot.pins import FocusedAnswer

# Discord's limits (https://discord.com/developers/docs/resources/message).
CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_LIMIT = 25
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_TOTAL_LIMIT = 6000
CHOICE_NAME_LIMIT = 100  # autocomplete choice names and values

# Our own choices.
EXCERPT_CHARS = 280  # a quoted excerpt in a source list
SEARCH_EXCERPT_CHARS = 700
MAX_ANSWER_PAGES = 3  # an answer longer than this many messages is trimmed
QUESTION_ECHO_CHARS = 300
TRIMMED = "\n… (trimmed to fit Discord)"
EMBED_FOOTER_RESERVE = 200  # characters of the embed total kept for the footer


def one_line(text: str) -> str:
    """`text` with every run of whitespace (newlines included) made one space."""
    return " ".join(text.split())


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at a word boundary when there is one."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    head = text[: limit - 1]
    cut = head.rsplit(maxsplit=1)[0] if " " in head.strip() else head
    if len(cut) < limit // 2:  # one enormous word: cut it instead
        cut = head
    # Never end on an escaping backslash, which would swallow the ellipsis.
    return cut.rstrip("\\") + "…"


def md(text: str) -> str:
    """Article or user text, shown literally (markdown escaped)."""
    return escape_markdown(text)


def safe_url(url: str) -> str:
    """The URL wrapped in <> so Discord does not unfurl it; '' if it is not a plain web link."""
    url = url.strip()
    if not url.startswith(("http://", "https://")) or any(c.isspace() or c in "<>" for c in url):
        return ""
    return f"<{clip(url, 500)}>"


# ---- pages of plain content ---------------------------------------------------------


def _split_long(block: str, limit: int) -> list[str]:
    """A block cut into pieces of at most `limit` characters, at line or word boundaries."""
    pieces = []
    while len(block) > limit:
        head = block[:limit]
        cut = head.rfind("\n")
        if cut < limit // 2:
            cut = head.rfind(" ")
        if cut < limit // 2:
            cut = limit
            while cut > limit // 2 and block[cut - 1] == "\\":  # keep an escape with what it escapes
                cut -= 1
        pieces.append(block[:cut].rstrip())
        block = block[cut:].lstrip()
    pieces.append(block)
    return pieces


def paginate(blocks: Sequence[str], limit: int = CONTENT_LIMIT, max_pages: int | None = None) -> list[str]:
    """Blocks (joined by newlines) packed into messages of at most `limit` characters.

    A block is kept whole on one page when it fits; a longer one is split. Past
    `max_pages`, the rest is dropped and the last page says so.
    """
    pages: list[str] = []
    current = ""
    for block in blocks:
        for piece in _split_long(block, limit):
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                pages.append(current)
                current = piece
    pages.append(current)
    pages = [page.strip("\n") for page in pages if page.strip()]
    if max_pages is not None and len(pages) > max_pages:
        pages = pages[:max_pages]
        pages[-1] = clip(pages[-1], limit - len(TRIMMED)) + TRIMMED
    return pages or ["(nothing to show)"]


# ---- answers ------------------------------------------------------------------------


def source_block(citation: Citation, excerpt_chars: int = EXCERPT_CHARS) -> str:
    """`[n] Title, paragraph p` then the quoted excerpt and the link, if known."""
    title = md(clip(one_line(citation.name), 200))
    lines = [
        f"**[{citation.n}]** {title}, {place(citation)}",
        f"> \u201c{md(clip(one_line(citation.text), excerpt_chars))}\u201d",
    ]
    url = safe_url(citation.url)
    if url:
        lines.append(url)
    return "\n".join(lines)


def answer_blocks(answer: Answer, heading: str = "", note: str = "") -> list[str]:
    """The answer as blocks for `paginate`: the heading and the note (see `focus_note`) when
    given, the text (its exact answer in bold), then its sources; for an abstention, the
    refusal and the related reading."""
    blocks = [part for part in (heading, note) if part]
    if answer.abstained:
        blocks.append(f"**{md(answer.text)}**")
        if answer.related:
            blocks += ["", "**Related reading** (close to the question, but not an answer to it)"]
            blocks += [source_block(c) for c in answer.related]
        return blocks
    short = answer.short.text if answer.short is not None else ""
    if short and answer.text.startswith(short):  # the exact answer first, in bold
        blocks.append(f"**{md(short)}**{md(answer.text[len(short) :])}")
    else:
        blocks.append(md(answer.text))
    if answer.citations:
        blocks += ["", "**Sources**"]
        blocks += [source_block(c) for c in answer.citations]
    return blocks


def question_heading(question: str) -> str:
    """`**Q:** question` on one line, the question clipped to 300 characters, then escaped."""
    return f"**Q:** {md(clip(one_line(question), QUESTION_ECHO_CHARS))}"


def answer_pages(answer: Answer, heading: str = "", note: str = "") -> list[str]:
    """The answer and its numbered sources, as one or more messages; `note` (one line)
    goes above the answer, under the heading."""
    return paginate(answer_blocks(answer, heading, note), max_pages=MAX_ANSWER_PAGES)


def focus_note(focused: FocusedAnswer) -> str:
    """The line that says where an answer in a pinned channel or a thread came from, at most
    about 260 characters: that the focus article did not say and which article did, or
    that the channel's pinned article is no longer indexed; "" when there is nothing to say."""
    if focused.focus is None:
        return ""
    if focused.missing:
        if focused.focus.reason != "pin":
            return ""
        pinned = md(clip(one_line(focused.focus.article), 100))
        return (
            f"-# The article pinned to this channel ({pinned}) is no longer indexed; "
            "answered from all articles."
        )
    if not focused.elsewhere or not focused.answer.citations or focused.focus.reason == "conversation":
        return ""  # a next question that is about another story needs no note
    name = md(clip(one_line(focused.answer.citations[0].name), 200))
    which = "The pinned article" if focused.focus.reason == "pin" else "The article of the earlier answer"
    return f"*{which} does not say; from {name}:*"


def summary_pages(record: ArticleRecord, answer: Answer, name: str = "") -> list[str]:
    """`name`: what the article is called (its label when another article has its title)."""
    heading = f"**Summary: {md(clip(one_line(name or record.title) or record.id, 200))}**"
    return answer_pages(answer, heading)


def facts_pages(record: ArticleRecord, facts: Sequence[Fact], name: str = "") -> list[str]:
    """`name`: what the article is called (its label when another article has its title)."""
    blocks = [f"**Key facts: {md(clip(one_line(name or record.title) or record.id, 200))}**"]
    if not facts:
        blocks.append("No sentence in this article names a date, a number or a name.")
    for fact in facts:
        c = fact.citation
        blocks.append(
            f"**[{c.n}]** {md(clip(one_line(c.text), 600))}\n"
            f"-# paragraph {c.paragraph} \u00b7 {', '.join(fact.kinds)}"
        )
    url = safe_url(record.url)
    if url:
        blocks += ["", f"Source: {url}"]
    return paginate(blocks, max_pages=MAX_ANSWER_PAGES)


# ---- embeds -------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """An embed field before `build_embed` fits it into Discord's limits."""

    name: str
    value: str
    inline: bool = False


def build_embed(
    title: str,
    description: str = "",
    fields: Sequence[Field] = (),
    footer: str = "",
    colour: discord.Colour | None = None,
) -> discord.Embed:
    """An embed that fits every embed limit: parts are clipped, fields that do not fit dropped.

    When fields are dropped the footer says how many.
    """
    title = clip(title, EMBED_TITLE_LIMIT)
    description = clip(description, EMBED_DESCRIPTION_LIMIT)
    budget = EMBED_TOTAL_LIMIT - len(title) - len(description) - EMBED_FOOTER_RESERVE
    kept: list[Field] = []
    for item in fields[:EMBED_FIELD_LIMIT]:
        name = clip(item.name, EMBED_FIELD_NAME_LIMIT) or "\u200b"
        value = clip(item.value, EMBED_FIELD_VALUE_LIMIT) or "\u200b"
        if len(name) + len(value) > budget:
            break
        budget -= len(name) + len(value)
        kept.append(Field(name, value, item.inline))
    dropped = len(fields) - len(kept)
    if dropped:
        note = f"{dropped} more not shown (Discord's size limit)."
        footer = f"{footer} \u00b7 {note}" if footer else note
    embed = discord.Embed(title=title, description=description or None, colour=colour)
    for item in kept:
        embed.add_field(name=item.name, value=item.value, inline=item.inline)
    if footer:
        embed.set_footer(text=clip(footer, EMBED_FOOTER_RESERVE))
    return embed


def search_embed(query: str, results: Sequence[Citation]) -> discord.Embed:
    """/search: one field per passage with its cosine score (-1 to 1, two decimals)."""
    fields = []
    for c in results:
        name = f"[{c.n}] {one_line(c.name)}, paragraph {c.paragraph} \u00b7 score {c.score:.2f}"
        value = f"> {md(clip(one_line(c.text), SEARCH_EXCERPT_CHARS))}"
        url = safe_url(c.url)
        if url:
            value += f"\n{url}"
        fields.append(Field(md(name), value))
    description = "" if results else "No passage matches."
    return build_embed(
        f"Search: {one_line(query)}",
        description,
        fields,
        footer="score: cosine similarity of passage and query; order: words and meaning combined",
        colour=discord.Colour.blurple(),
    )


def sources_embed(records: Sequence[ArticleRecord], labels: dict[str, str] | None = None) -> discord.Embed:
    """The indexed articles: name (with what tells look-alikes apart), outlet, date
    ("no date" when the article states none), language and size."""
    lines = []
    for record in records:
        name = (labels or {}).get(record.id) or record.title or record.id
        title = md(clip(one_line(name), 150))
        facts = [md(clip(one_line(record.source), 60))] if record.source else []
        facts += [md(record.date) if record.date else "no date", record.language]
        facts.append(f"{len(record.chunks)} passages")
        lines.append(f"**{title}**\n`{record.id}` \u00b7 " + " \u00b7 ".join(facts))
    description = ""
    shown = 0
    for line in lines:
        if len(description) + len(line) + 2 > EMBED_DESCRIPTION_LIMIT - 60:
            break
        description = f"{description}\n\n{line}" if description else line
        shown += 1
    if shown < len(lines):
        description += f"\n\n… and {len(lines) - shown} more."
    passages = sum(len(r.chunks) for r in records)
    return build_embed(
        f"Indexed articles ({len(records)})",
        description or "The index holds no articles.",
        footer=f"{passages} passages in all",
        colour=discord.Colour.blurple(),
    )


def status_embed(rows: Sequence[tuple[str, str]]) -> discord.Embed:
    """/status: one inline field per (name, value) row."""
    fields = [Field(name, value, inline=True) for name, value in rows]
    return build_embed("Article Bot status", fields=fields, colour=discord.Colour.green())


def format_duration(seconds: float) -> str:
    """`seconds` (>= 0, fractions dropped) as "2d 3h 4m", "3h 4m 5s" or "4m 5s"."""
    seconds = int(seconds)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    parts = [f"{days}d"] if days else []
    if days or hours:
        parts.append(f"{hours}h")
    parts.append(f"{minutes}m")
    if not days:
        parts.append(f"{seconds}s")
    return " ".join(parts)
