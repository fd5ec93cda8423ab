"""Reading articles: plain text, Markdown and HTML, with optional front matter.

An `Article` keeps its cleaned text and the character span of every paragraph,
so a citation can name the paragraph and the exact offsets it quotes.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import frontmatter

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")

# Lines that belong to the page around an article, not to the article itself.
_BOILERPLATE_LINE = re.compile(r"^\s*(RELATED|READ MORE|SEE ALSO|ALSO READ|WATCH|MORE)\s*:", re.IGNORECASE)
_TITLE_PREFIX = re.compile(r"^\s*(VIDEO|WATCH|PHOTOS?|LIVE|UPDATE[D]?)\s*:\s*", re.IGNORECASE)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_INLINE = re.compile(r"(\*\*|__|`)")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_ARTICLE_ID = re.compile(r"[^a-z0-9]+")
# Markup a browser never shows as text; trafilatura drops scripts, styles and
# the like itself, but keeps the inert contents of <template>.
_HIDDEN_HTML = re.compile(r"<template\b[^>]*>.*?</template\s*>", re.IGNORECASE | re.DOTALL)


class ArticleError(ValueError):
    """An article file cannot be read as text; the message says why."""


@dataclass(frozen=True)
class Paragraph:
    number: int  # 1-based, as a reader counts them
    start: int  # character offsets into Article.text
    end: int


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str
    paragraphs: tuple[Paragraph, ...]
    content_hash: str
    url: str = ""
    date: str = ""
    source: str = ""
    author: str = ""

    def paragraph_text(self, paragraph: Paragraph) -> str:
        return self.text[paragraph.start : paragraph.end]


def article_id_for(path: Path) -> str:
    """A stable, URL- and command-friendly id from a file name."""
    stem = _ARTICLE_ID.sub("-", path.stem.lower()).strip("-")
    return stem or "article"


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_article(path: Path, max_bytes: int | None = None) -> Article:
    """Read one article file; raise ArticleError for anything that is not usable text."""
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise ArticleError(f"{path.name} is {size:,} bytes, over the limit of {max_bytes:,}")
    data = path.read_bytes()
    return parse_article(data, path.name, article_id_for(path))


def parse_article(data: bytes, filename: str, article_id: str) -> Article:
    """Parse raw bytes of a .txt/.md/.html article."""
    if b"\x00" in data[:8192]:
        raise ArticleError(f"{filename} looks binary (it holds NUL bytes)")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"{filename} is not UTF-8 text (byte {exc.start}); convert it first, for example "
            f"`iconv -f WINDOWS-1252 -t UTF-8 {filename} > converted.txt`"
        ) from None
    suffix = Path(filename).suffix.lower()
    meta, body = _split_front_matter(raw)
    if suffix in (".html", ".htm"):
        title, paragraphs, html_meta = _parse_html(body)
        meta = {**html_meta, **meta}
    else:
        title, paragraphs = _parse_text(body, markdown=suffix in (".md", ".markdown"))
    title = meta.pop("title", "") or title
    title = _TITLE_PREFIX.sub("", title).strip()
    paragraphs = [p for p in paragraphs if p and not _BOILERPLATE_LINE.match(p)]
    if not paragraphs:
        raise ArticleError(f"{filename} has no article text")
    text, spans = _join_paragraphs(paragraphs)
    return Article(
        id=article_id,
        title=title or article_id,
        text=text,
        paragraphs=spans,
        content_hash=content_hash(data),
        url=meta.pop("url", ""),
        date=meta.pop("date", ""),
        source=meta.pop("source", ""),
        author=meta.pop("author", ""),
    )


def _split_front_matter(raw: str) -> tuple[dict[str, str], str]:
    if not raw.lstrip().startswith("---"):
        return {}, raw
    try:
        post = frontmatter.loads(raw)
    except Exception as exc:  # YAML errors come in several types
        log.warning("front matter could not be read, keeping it as text: %s", exc)
        return {}, raw
    meta = {str(k).lower(): str(v) for k, v in post.metadata.items() if v is not None}
    return meta, post.content


def _parse_text(body: str, markdown: bool) -> tuple[str, list[str]]:
    """First line (or first `# heading`) is the title; blank lines separate paragraphs."""
    blocks = [b for b in re.split(r"\n\s*\n", body.replace("\r\n", "\n")) if b.strip()]
    if not blocks:
        return "", []
    title = ""
    first_lines = blocks[0].strip().split("\n")
    if len(first_lines) >= 1 and (
        len(blocks) > 1 or len(first_lines) > 1 or _MD_HEADING.match(first_lines[0])
    ):
        title = first_lines[0]
        rest = "\n".join(first_lines[1:]).strip()
        blocks = ([rest] if rest else []) + blocks[1:]
    paragraphs = []
    for block in blocks:
        lines = [ln.strip() for ln in block.split("\n")]
        lines = [ln for ln in lines if ln and not _BOILERPLATE_LINE.match(ln)]
        if markdown:
            lines = [_clean_markdown(ln) for ln in lines]
        paragraph = " ".join(ln for ln in lines if ln)
        if paragraph:
            paragraphs.append(paragraph)
    if markdown:
        title = _clean_markdown(title)
    return title.strip(), paragraphs


def _clean_markdown(line: str) -> str:
    line = _MD_HEADING.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_INLINE.sub("", line)
    return re.sub(r"^\s*([-*+]|\d+\.)\s+", "", line).strip()


def _parse_html(body: str) -> tuple[str, list[str], dict[str, str]]:
    import trafilatura  # here, not at the top: it takes most of a second to import

    body = _HIDDEN_HTML.sub("", body)
    text = trafilatura.extract(body, include_comments=False, include_tables=False, favor_precision=True)
    meta: dict[str, str] = {}
    doc = trafilatura.extract_metadata(body)
    if doc is not None:
        for key in ("title", "url", "date", "sitename", "author"):
            value = getattr(doc, key, None)
            if value:
                meta["source" if key == "sitename" else key] = str(value)
    paragraphs = [ln.strip() for ln in (text or "").split("\n") if ln.strip()]
    title = meta.pop("title", "")
    if paragraphs and not title:
        title = paragraphs[0]
    if paragraphs and _TITLE_PREFIX.sub("", paragraphs[0]).strip() == _TITLE_PREFIX.sub("", title).strip():
        paragraphs = paragraphs[1:]
    return title, paragraphs, meta


def _join_paragraphs(paragraphs: list[str]) -> tuple[str, tuple[Paragraph, ...]]:
    """The article text and its paragraph spans.

    A paragraph repeated word for word (a pull quote, a page template printed
    twice) is kept once, at its first place, so answers and citations are not
    doubled; the paragraphs after it keep the numbers a reader counts in the
    source, repeats included.
    """
    parts: list[str] = []
    spans: list[Paragraph] = []
    seen: set[str] = set()
    offset = 0
    for number, paragraph in enumerate(paragraphs, start=1):
        clean = re.sub(r"\s+", " ", paragraph).strip()
        if clean in seen:
            continue
        seen.add(clean)
        spans.append(Paragraph(number, offset, offset + len(clean)))
        parts.append(clean)
        offset += len(clean) + 2
    return "\n\n".join(parts), tuple(spans)


def find_article_files(corpus_dir: Path) -> list[Path]:
    """Article files in the corpus folder, sorted; hidden files are skipped."""
    return sorted(
        p
        for p in corpus_dir.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts)
    )
