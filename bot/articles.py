"""Reading articles: plain text, Markdown and HTML, with optional front matter.

An `Article` keeps its cleaned text and the character span of every paragraph,
so a citation can name the paragraph and the exact offsets it quotes, its
language, and its date when something states it: front matter, the page's
metadata, or a dateline. A year found in the story or a copyright line is not
a date, and a date is never completed ("2019" stays unknown, not 2019-01-01).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import frontmatter

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")

# Lines that belong to the page around an article, not to the article itself.
_BOILERPLATE_LINE = re.compile(
    r"^\s*(?:(?:RELATED|READ MORE|SEE ALSO|ALSO READ|WATCH|MORE)\s*:|"
    r"(?:©|(?:\(c\)|copyright)\s*©?\s*\d{4}\b)(?=.{0,100}$)|"  # a copyright line
    r"(?:(?:additional )?reporting|writing|editing) by\b)",  # a wire service's credits
    re.IGNORECASE,
)
_TITLE_PREFIX = re.compile(r"^\s*(VIDEO|WATCH|PHOTOS?|LIVE|UPDATE[D]?)\s*:\s*", re.IGNORECASE)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_INLINE = re.compile(r"(\*\*|__|`)")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_ARTICLE_ID = re.compile(r"[^a-z0-9]+")
# Markup a browser never shows as text; trafilatura drops scripts, styles and
# the like itself, but keeps the inert contents of <template>.
_HIDDEN_HTML = re.compile(r"<template\b[^>]*>.*?</template\s*>", re.IGNORECASE | re.DOTALL)
# trafilatura's settings, chosen on tests/data/html_pages/ by paragraph recall and
# precision (`python tools/compare_extractors.py`; figures in the README): its
# defaults keep every paragraph there; favor_precision lost one for no gain, and
# favor_recall let in related-story boxes. Leads outside the body and furniture
# inside it are handled after extraction (lead_paragraphs, _furniture_dropped).
HTML_EXTRACTION: dict[str, Any] = {"include_comments": False, "include_tables": False}


# A dateline opens the first paragraph: "LISBON, March 3, 2024 — …", "Nov. 8, 2021 (Reuters) - …".
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Za-z .'-]{1,40}(?:\([^)]{1,30}\))?,\s+)?"
    r"(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"
    r"\s*(?:\([^)]{1,30}\)\s*)?[\u2014\u2013-]"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}
# Below this probability the language guess is no better than the default.
MIN_LANGUAGE_PROBABILITY = 0.5
DEFAULT_LANGUAGE = "en"


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
    language: str = DEFAULT_LANGUAGE  # ISO 639-1

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
        title, paragraphs, html_meta = parse_html(body)
        meta = {**html_meta, **meta}
    else:
        title, paragraphs = _parse_text(body, markdown=suffix in (".md", ".markdown"))
    title = meta.pop("title", "") or title
    title = _TITLE_PREFIX.sub("", title).strip()
    paragraphs = [p for p in paragraphs if p and not is_boilerplate(p)]
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
        date=meta.pop("date", "") or dateline_date(paragraphs[0]),
        source=meta.pop("source", ""),
        author=meta.pop("author", ""),
        language=(meta.pop("language", "") or meta.pop("lang", "")).lower()[:2] or detect_language(text),
    )


def is_boilerplate(paragraph: str) -> bool:
    """Whether a paragraph belongs to the page around the article ("RELATED: …",
    "Copyright 2021 …", "Reporting by …; Editing by …") rather than to the article."""
    return bool(_BOILERPLATE_LINE.match(paragraph))


def dateline_date(paragraph: str) -> str:
    """The ISO date (YYYY-MM-DD) of a dateline opening `paragraph`, or "" when there is none.

    Only a full date counts ("LISBON, March 3, 2024 — …"); a dateline without
    its year is not completed with one.
    """
    match = _DATELINE.match(paragraph)
    if not match:
        return ""
    month = _MONTHS[match["month"][:3].lower()]
    try:
        return dt.date(int(match["year"]), month, int(match["day"])).isoformat()
    except ValueError:  # "Feb. 30"
        return ""


@lru_cache(maxsize=1)
def _language_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # about a second to load

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, among: frozenset[str] | None = None) -> str:
    """The ISO 639-1 code of `text`'s language (py3langid on its first 3,000
    characters), or DEFAULT_LANGUAGE when the guess has a probability below
    MIN_LANGUAGE_PROBABILITY. With `among`, the most likely of those languages
    (how a short question is matched to the languages of the articles)."""
    identifier = _language_identifier()
    if among:
        ranked = [(str(lang), p) for lang, p in identifier.rank(text[:3000]) if lang in among]
        return ranked[0][0] if ranked else DEFAULT_LANGUAGE
    language, probability = identifier.classify(text[:3000])
    return str(language) if probability >= MIN_LANGUAGE_PROBABILITY else DEFAULT_LANGUAGE


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


def parse_html(body: str, extraction: dict[str, Any] | None = None) -> tuple[str, list[str], dict[str, str]]:
    """Title, body paragraphs and metadata (url, source, author, date) of an HTML page.

    `extraction`: trafilatura's settings, HTML_EXTRACTION unless given (another
    is passed in only to compare settings, tools/compare_extractors.py).
    """
    import trafilatura  # here, not at the top: it takes most of a second to import

    body = _HIDDEN_HTML.sub("", body)
    text = trafilatura.extract(body, **(HTML_EXTRACTION if extraction is None else extraction))
    meta: dict[str, str] = {}
    doc = trafilatura.extract_metadata(body)
    if doc is not None:
        for key in ("title", "url", "sitename", "author"):
            value = getattr(doc, key, None)
            if value:
                meta["source" if key == "sitename" else key] = str(value)
    date = _stated_date(body)
    if date:
        meta["date"] = date
    paragraphs = [ln.strip() for ln in (text or "").split("\n") if ln.strip()]
    if paragraphs:
        paragraphs = _furniture_dropped(body, lead_paragraphs(body, paragraphs) + paragraphs)
    title = meta.pop("title", "")
    if paragraphs and not title:
        title = paragraphs[0]
    if paragraphs and _TITLE_PREFIX.sub("", paragraphs[0]).strip() == _TITLE_PREFIX.sub("", title).strip():
        paragraphs = paragraphs[1:]
    return title, paragraphs, meta


# Containers of page furniture, by tag or by a word in their class or id.
_FURNITURE_TAGS = frozenset(
    {"nav", "aside", "footer", "figure", "figcaption", "form", "button", "a", "label"}
)
_FURNITURE_NAMES = re.compile(
    r"related|promo|newsletter|signup|sign-up|subscribe|share|social|menu|breadcrumb|cookie|consent|"
    r"advert|sponsor|byline|author|caption|comment|trending|most-|recommend|(?<![a-z])more(?![a-z])|widget",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?\"\u201d\u2019)]$")


def lead_paragraphs(html: str, paragraphs: list[str]) -> list[str]:
    """Paragraphs between the headline (<h1>) and the first extracted paragraph that
    the extractor left out: the lead or standfirst that many sites put in a teaser
    or summary container outside the article body.

    A block counts when it reads as prose (8 words or more, ending as a sentence
    does) and no container around it is page furniture (navigation, related
    stories, newsletter boxes, captions, bylines and the like).
    """
    import lxml.html  # trafilatura's own parser

    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    first = " ".join(paragraphs[0].split())
    known = {" ".join(p.split()) for p in paragraphs}
    found: list[str] = []
    after_title = False
    for element in root.iter("h1", "p"):
        text = " ".join(element.text_content().split())
        if element.tag == "h1":
            after_title = True
            continue
        if not after_title:
            continue
        if text == first or text in known:
            return found
        if len(text.split()) >= 8 and _SENTENCE_END.search(text) and not _in_furniture(element):
            found.append(text)
    return []  # the extracted text does not start at a paragraph of the page: nothing to place


def _furniture_dropped(html: str, paragraphs: list[str]) -> list[str]:
    """`paragraphs` without those that the page holds only inside furniture containers
    (a related-stories box or newsletter sign-up the extractor took for the story).
    Left as they are when that would drop half of them or more: then the page names
    its containers in some other way."""
    import lxml.html

    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return paragraphs
    where: dict[str, list[Any]] = {}
    for element in root.iter("p", "li", "h2", "h3", "h4", "div", "span", "blockquote", "td", "section"):
        where.setdefault(" ".join(element.text_content().split()), []).append(element)
    kept = []
    for paragraph in paragraphs:
        text = " ".join(paragraph.split())
        elements = where.get(text) or where.get(text.lstrip("-• "), [])
        if not elements or not all(_in_furniture(e) for e in elements):
            kept.append(paragraph)
    return kept if len(kept) > len(paragraphs) / 2 else paragraphs


def _in_furniture(element: Any) -> bool:
    node = element
    while node is not None:
        if node.tag in _FURNITURE_TAGS:
            return True
        names = " ".join(node.get(a, "") for a in ("class", "id", "data-testid", "data-component"))
        if _FURNITURE_NAMES.search(names):
            return True
        node = node.getparent()
    return False


def _stated_date(html: str) -> str:
    """The publication date the page's markup states (ISO YYYY-MM-DD), or "".

    htmldate without its extensive search reads the header metadata
    (`article:published_time`, `datePublished` in JSON-LD and the like) and
    `<time datetime>`; it does not guess from years in the text or a
    copyright line.
    """
    from htmldate import find_date

    try:
        found = find_date(html, extensive_search=False, original_date=True, outputformat="%Y-%m-%d")
    except ValueError:  # markup it cannot parse
        return ""
    return found or ""


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
