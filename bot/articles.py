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
import json
import logging
import re
import unicodedata
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

from bot.errors import ArticleError
from bot.models import Article, Paragraph

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")

# Lines that belong to the page around an article, not to the article itself.
# Paragraphs that belong to the page around an article, not to the article itself:
# promotions ("RELATED: …"), a copyright line, a wire service's credits.
_BOILERPLATE = re.compile(
    r"^\s*(?:(?:RELATED|READ MORE|SEE ALSO|ALSO READ)\s*:|(?:WATCH|MORE)\s*:|"
    r"(?:©|(?:\(c\)|[Cc]opyright)\s*©?\s*\d{4}\b)(?=.{0,100}$)|"
    r"(?:(?:Additional )?[Rr]eporting|Writing|Editing) by [A-Z][^.]{0,150}$)",
)
_RELATED = re.compile(r"^\s*(?:related|read more)\s*:", re.IGNORECASE)  # a whole paragraph, any case
# Within a paragraph of a text file, only an upper-case promotion line is dropped.
_PROMO_LINE = re.compile(r"^\s*(?:RELATED|READ MORE|SEE ALSO|ALSO READ|WATCH|MORE)\s*:")
_TITLE_PREFIX = re.compile(r"^\s*(VIDEO|WATCH|PHOTOS?|LIVE|UPDATE[D]?)\s*:\s*", re.IGNORECASE)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
# Emphasis and code marks around words ("**£48,000**", "*nine*", "`x`"), not the
# underscores inside a name ("__init__.py").
_MD_INLINE = re.compile(r"(?<![\w*_`])(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1(?=[^\w*_`]*(?:\s|$))")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_ARTICLE_ID = re.compile(r"[\W_]+")
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
_MONTH = (
    r"(?P<month>(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?)"
)
_DATELINE = re.compile(
    r"^(?:[^\W\d_][^\W\d_ .'-]*(?:[ .'-]+[^\W\d_][^\W\d_ .'-]*){0,4}\.?"  # the place: ST. PAUL, SÃO PAULO
    r"(?:,\s+[A-Z][A-Za-z.]{1,12})?(?:\s*\([^)]{1,30}\))?,\s+)?"  # its state or agency: , Minn. (AP)
    + _MONTH
    + r"\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})\s*(?:\([^)]{1,30}\)\s*)?[\u2014\u2013-]"
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
# A question in Latin script is read as in none of the articles' languages when py3langid,
# choosing among these languages and the articles' own, gives the articles' languages together
# less than OTHER_LANGUAGE_PROBABILITY. The most spoken languages in Latin script, which
# py3langid tells apart on a few words: choosing among all 83 Latin-script languages it knows
# spreads a short question's probability over close ones (Galician, Catalan, Aragonese for
# Spanish) and tells fewer. Measured by `python tools/fit_overlap.py --other-language`: of the
# 15,905 English questions of datasets/ and tests/data none falls under 0.001 (the lowest is
# 0.005); of the 144 French, German, Italian, Portuguese, Dutch and Spanish questions asked of
# English articles (tests/data/latin_questions.jsonl, datasets/languages-dev) 88 do.
LATIN_LANGUAGES = frozenset({"de", "en", "es", "fr", "it", "nl", "pt"})
OTHER_LANGUAGE_PROBABILITY = 0.001


def article_id_for(path: Path) -> str:
    """A stable, command-friendly id from a file name: its letters and digits, in any
    script, lower case, other characters as "-" ("Мост 2.txt" -> "мост-2")."""
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
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    meta, body = _split_front_matter(raw, filename)
    if suffix in (".html", ".htm"):
        title, paragraphs, html_meta = parse_html(body)
        meta = {**html_meta, **meta}
    else:
        title, paragraphs = _parse_text(
            body, markdown=suffix in (".md", ".markdown"), titled=bool(meta.get("title"))
        )
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
        author=meta.pop("author", "") or byline_author(paragraphs[:2]),
        language=meta.pop("language", "") or detect_language(text),
    )


def is_boilerplate(paragraph: str) -> bool:
    """Whether a paragraph belongs to the page around the article ("RELATED: …",
    "Copyright 2021 …", "Reporting by …; Editing by …") rather than to the article."""
    return bool(_BOILERPLATE.match(paragraph) or _RELATED.match(paragraph))


# A byline paragraph: "By Jane Roe", "By Jane Roe and Sam Lee, Staff Writers", "BY JANE ROE".
_BYLINE_PARAGRAPH = re.compile(
    r"^\s*by\s+(?P<names>[^\W\d_][\w.'’-]*(?:\s+(?:[^\W\d_][\w.'’-]*|and|&)){1,7}?)"
    r"\s*(?:[,|—–-]\s*[^\n]{0,60})?$",
    re.IGNORECASE,
)


def byline_author(paragraphs: list[str]) -> str:
    """The author named by a byline paragraph ("By Jane Roe, Staff Writer" -> "Jane Roe")
    among the first `paragraphs`, or "" when none is one. The names must be capitalised
    words, so a sentence that opens with "By" ("By noon the fire had spread") is none."""
    for paragraph in paragraphs:
        match = _BYLINE_PARAGRAPH.match(paragraph)
        if match and len(paragraph) <= 100:
            names = match["names"]
            words = [w for w in names.split() if w.lower() not in ("and", "&")]
            if all(w[0].isupper() for w in words):
                if names.isupper():  # "BY JANE ROE AND SAM LEE"
                    return " ".join(w.lower() if w in ("AND", "&") else w.title() for w in names.split())
                return names
    return ""


def dateline_date(paragraph: str) -> str:
    """The ISO date (YYYY-MM-DD) of a dateline opening `paragraph`, or "" when there is none.

    Only a full date counts ("LISBON, March 3, 2024 — …"); a dateline without
    its year is not completed with one.
    """
    match = _DATELINE.match(paragraph)
    return _named_month_date(match) if match else ""


def _named_month_date(match: re.Match[str]) -> str:
    """YYYY-MM-DD of a match with groups `year`, `month` (a name) and `day`; "" for
    a day the month does not have ("Feb. 30")."""
    try:
        return dt.date(int(match["year"]), _MONTHS[match["month"][:3].lower()], int(match["day"])).isoformat()
    except ValueError:
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


def in_other_language(text: str, languages: Collection[str]) -> bool:
    """Whether `text` (a question) is surely in none of `languages` (ISO 639 codes of the
    articles it is put to, all written in Latin script per Babel's likely script of each):
    most of its letters are of another script (Cyrillic, Greek, Arabic, Chinese…), or
    py3langid, choosing among LATIN_LANGUAGES and `languages`, gives `languages` together
    less than OTHER_LANGUAGE_PROBABILITY (a Spanish or German question of English articles).
    False for empty `languages`, a `text` without letters, or articles in Latin script only in
    languages py3langid does not know ("nb").

    By script alone for other scripts: py3langid on a short question names close varieties
    (Cantonese for Chinese, Pidgin for English). None of the 15,905 English questions of
    datasets/ and tests/data is read as in another language; all 96 Arabic, Greek, Russian
    and Chinese ones of datasets/languages-dev asked of English articles are, and 88 of the
    144 in Latin-script languages; none asked of articles in its own language
    (`python tools/fit_overlap.py --other-language`)."""
    letters = [c for c in text if c.isalpha()]
    if not letters or not languages or not all(_script(code) == "Latn" for code in languages):
        return False
    latin = sum(unicodedata.name(c, "").startswith("LATIN") for c in letters)
    if latin * 2 < len(letters):
        return True
    theirs = language_share(text, languages, LATIN_LANGUAGES | set(languages))
    return theirs is not None and theirs < OTHER_LANGUAGE_PROBABILITY


def language_share(text: str, languages: Collection[str], among: Collection[str]) -> float | None:
    """The probability (0…1) py3langid gives `languages` together that `text` is in one of
    them, choosing among the languages of `among` only (ISO 639 codes); None when it knows
    none of `languages` ("nb") or gives all of `among` no chance at all."""
    chances = {str(code): p for code, p in _language_identifier().rank(text) if code in among}
    total = sum(chances.values())
    if not set(languages) & set(chances) or total <= 0:
        return None
    return float(sum(p for code, p in chances.items() if code in languages) / total)


def language_name(code: str) -> str:
    """The English name of an ISO 639 language code (Babel's), or the code itself."""
    from babel import Locale

    return str(Locale("en").languages.get(code, code))


def _script(code: str) -> str:
    """The ISO 15924 script `code` (ISO 639) is most likely written in, per Babel ("" if unknown)."""
    from babel.core import get_global

    likely = str(get_global("likely_subtags").get(code, ""))
    parts = likely.split("_")
    return parts[1] if len(parts) > 2 else ""


def _split_front_matter(raw: str, filename: str = "") -> tuple[dict[str, str], str]:
    """Front matter (keys lower-cased, values normalised) and the body after it.

    Front matter that is not valid YAML is left out of the article, with a warning
    that names the file.
    """
    if not raw.lstrip().startswith("---"):
        return {}, raw
    name_of_file = filename or "an article"
    try:
        post = frontmatter.loads(raw)
    except Exception as exc:  # YAML errors come in several types; a date that is none among them
        try:  # every value as written ("date: 2024-02-30"), so one bad value loses no other
            post = frontmatter.loads(raw, handler=_TextYAMLHandler())
        except Exception:
            log.warning("%s: its front matter could not be read and is left out: %s", name_of_file, exc)
            parts = raw.lstrip().split("\n---", 1)
            return {}, parts[1].split("\n", 1)[-1] if len(parts) == 2 else raw
        log.warning("%s: its front matter is read as text (%s)", name_of_file, exc)
    meta: dict[str, str] = {}
    for key, value in post.metadata.items():
        name = str(key).lower()
        if name == "lang":
            name = "language"
        text = _front_matter_value(name, value)
        if name == "date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) and not iso_date(text):
            log.warning("%s: its front matter date %r is no date and is left out", name_of_file, text)
            continue
        if name == "url" and text and not _is_web_address(text):
            log.warning(
                "%s: its front matter url %r is not a web address (http:// or https://) and is left out",
                filename or "an article",
                text,
            )
            continue
        if text:
            meta[name] = text
    return meta, post.content


class _TextYAMLHandler(YAMLHandler):
    """python-frontmatter's YAML handler with PyYAML's BaseLoader: every value as the text
    written, none read as a date, a number or a boolean."""

    def load(self, fm: str, **kwargs: object) -> Any:
        kwargs.setdefault("Loader", yaml.BaseLoader)
        return super().load(fm, **kwargs)


def _is_web_address(text: str) -> bool:
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:  # "http://[bad": no URL at all
        return False
    return parts.scheme in ("http", "https") and bool(host) and not any(c.isspace() for c in text)


def _front_matter_value(name: str, value: object) -> str:
    """A front matter value as text: dates as YYYY-MM-DD, lists joined, a language as
    its ISO 639-1 code ("" when the value is not one)."""
    if value is None:
        return ""
    if name == "language":
        code = "no" if value is False else str(value).strip().lower()  # YAML reads `no` as false
        return code if re.fullmatch(r"[a-z]{2}", code) else ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value if v is not None)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    text = str(value).strip()
    if name == "date":
        return iso_date(text) or text
    return text


def iso_date(text: str) -> str:
    """YYYY-MM-DD for a full date written as ISO 8601 ("2024-05-01T09:30:00Z" gives its
    own calendar day) or as "March 3, 2024" / "Nov. 8, 2011"; "" for anything else,
    including partial dates ("2021-06", "2019")."""
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})(?![\d])", text)
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups())).isoformat()
        except ValueError:
            return ""
    named = re.fullmatch(rf"\s*{_MONTH}\s+(?P<day>\d{{1,2}}),?\s+(?P<year>\d{{4}})\s*", text)
    return _named_month_date(named) if named else ""


def _parse_text(body: str, markdown: bool, titled: bool = False) -> tuple[str, list[str]]:
    """First line (or first `# heading`) is the title, unless the front matter gives one
    (`titled`); blank lines separate paragraphs."""
    blocks = [b for b in re.split(r"\n\s*\n", body) if b.strip()]
    if not blocks:
        return "", []
    title = ""
    first_lines = blocks[0].strip().split("\n")
    if (not titled or _MD_HEADING.match(first_lines[0])) and (
        len(blocks) > 1 or len(first_lines) > 1 or _MD_HEADING.match(first_lines[0])
    ):
        title = first_lines[0]
        rest = "\n".join(first_lines[1:]).strip()
        blocks = ([rest] if rest else []) + blocks[1:]
    paragraphs = []
    for block in blocks:
        lines = [ln.strip() for ln in block.split("\n")]
        lines = [ln for ln in lines if ln and not _PROMO_LINE.match(ln)]
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
    line = _MD_INLINE.sub(r"\2", line)
    return re.sub(r"^\s*[-*+]\s+", "", line).strip()  # a bullet goes; a list number stays


def parse_html(body: str, extraction: dict[str, Any] | None = None) -> tuple[str, list[str], dict[str, str]]:
    """Title, body paragraphs and metadata (url, source, author, date) of an HTML page.

    `extraction`: trafilatura's settings, HTML_EXTRACTION unless given (another
    is passed in only to compare settings, tools/compare_extractors.py).
    """
    import lxml.html  # trafilatura's own parser
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
    paragraphs = [ln.strip() for ln in (text or "").split("\n") if ln.strip()]
    try:
        root = lxml.html.fromstring(body)
    except (ValueError, lxml.etree.ParserError):
        root = None
    if root is not None:
        date = stated_date(root)
        if date:
            meta["date"] = date
        if paragraphs:
            paragraphs = _furniture_dropped(root, lead_paragraphs(root, paragraphs) + paragraphs)
    title = meta.pop("title", "")
    if paragraphs and not title:
        title = paragraphs[0]
    if paragraphs and _TITLE_PREFIX.sub("", paragraphs[0]).strip() == _TITLE_PREFIX.sub("", title).strip():
        paragraphs = paragraphs[1:]
    return title, paragraphs, meta


# Containers of page furniture, by tag or by a word in their class, id or test id.
_FURNITURE_TAGS = frozenset(
    {"nav", "aside", "footer", "figure", "figcaption", "form", "button", "a", "label"}
)
_FURNITURE_NAMES = re.compile(
    r"related|promo|newsletter|signup|sign-up|subscribe|share|social|menu|breadcrumb|cookie|consent|"
    r"advert|sponsor|byline|author|caption|comment|trending|most-|recommend|(?<![a-z])(?:more|meta)(?![a-z])|"
    r"widget",
    re.IGNORECASE,
)
# What sites call the lead that they print outside the article body.
_LEAD_NAMES = re.compile(r"standfirst|lead|lede|summary|dek|intro|teaser|excerpt|subtitle|subhead", re.I)
_BLOCK_TAGS = frozenset(
    {"p", "div", "section", "ul", "ol", "table", "h1", "h2", "h3", "figure", "blockquote"}
)
_BYLINE = re.compile(r"(?:By|BY)\s+[A-Z]")
_SENTENCE_END = re.compile(r"[.!?\"\u201d\u2019)]$")


def lead_paragraphs(root: Any, paragraphs: list[str]) -> list[str]:
    """Paragraphs between the headline (<h1>) and the first extracted paragraph that
    the extractor left out: the lead or standfirst that many sites put in a teaser
    or summary container outside the article body.

    `root`: the page parsed by lxml.html. A block counts when no container around it
    is page furniture (navigation, related stories, captions, bylines and the like)
    and either it reads as prose (a <p> of 8 words or more ending as a sentence does)
    or the site names it a lead (standfirst, summary, dek… in its class or id; a <p>,
    an <h2> or a <div> of text, 6 words or more).
    """
    first = " ".join(paragraphs[0].split())
    known = {" ".join(p.split()) for p in paragraphs}
    found: list[str] = []
    after_title = False
    for element in root.iter("h1", "h2", "p", "div"):
        text = " ".join(element.text_content().split())
        if element.tag == "h1":
            after_title = True
            continue
        if not after_title:
            continue
        if text == first or text in known:
            return found
        if not text or _in_furniture(element) or _BYLINE.match(text):
            continue
        around = [element, *list(element.iterancestors())[:2]]  # the block, or the box it sits in
        named = any(
            _LEAD_NAMES.search(" ".join(e.get(a, "") for a in ("class", "id", "data-component")))
            for e in around
        )
        if element.tag == "div" and any(
            child.tag in _BLOCK_TAGS for child in element.iter() if child is not element
        ):
            continue  # a container: its paragraphs are visited themselves
        words = len(text.split())
        prose = element.tag == "p" and words >= 8 and _SENTENCE_END.search(text)
        if (prose or (named and words >= 6)) and text not in found:
            found.append(text)
    return []  # the extracted text does not start at a paragraph of the page: nothing to place


def _furniture_dropped(root: Any, paragraphs: list[str]) -> list[str]:
    """`paragraphs` without those that the page holds only inside furniture containers
    (a related-stories box or newsletter sign-up the extractor took for the story).
    Left as they are when that would drop half of them or more: then the page names
    its containers in some other way."""
    where: dict[str, list[Any]] = {}
    for element in root.iter("p", "li", "h2", "h3", "h4", "div", "span", "blockquote", "td", "section"):
        where.setdefault(" ".join(element.text_content().split()), []).append(element)
    kept = []
    for paragraph in paragraphs:
        text = " ".join(paragraph.split())
        elements = where.get(text) or where.get(text.lstrip("-\u2022 "), [])
        if not elements or not all(_in_furniture(e) for e in elements):
            kept.append(paragraph)
    return kept if len(kept) > len(paragraphs) / 2 else paragraphs


# Containers of other stories and readers' comments, whose dates are not the article's.
_OTHER_STORIES = re.compile(
    r"related|comment|trending|most-|recommend|(?<![a-z])more(?![a-z])|promo|sponsor|teaser-list", re.I
)


def _in_furniture(
    element: Any, names: re.Pattern[str] = _FURNITURE_NAMES, tags: frozenset[str] = _FURNITURE_TAGS
) -> bool:
    """Whether `element` sits in a container that `tags` or `names` (class, id, test id) mark."""
    node = element
    while node is not None:
        if node.tag in tags:
            return True
        if names.search(" ".join(node.get(a, "") for a in ("class", "id", "data-testid", "data-component"))):
            return True
        node = node.getparent()
    return False


# <meta> tags that state when an article was published: (attribute, value), lower case.
_DATE_META = frozenset(
    {
        ("property", "article:published_time"),
        ("property", "og:published_time"),
        ("itemprop", "datepublished"),
        ("name", "date"),
        ("name", "pubdate"),
        ("name", "publishdate"),
        ("name", "publish-date"),
        ("name", "dc.date"),
        ("name", "dc.date.issued"),
        ("name", "dcterms.created"),
        ("name", "dcterms.issued"),
        ("name", "sailthru.date"),
        ("name", "parsely-pub-date"),
        ("name", "citation_publication_date"),
    }
)


def stated_date(root: Any) -> str:
    """The publication date the page's markup states (YYYY-MM-DD), or "".

    In this order: JSON-LD `datePublished`, a <meta> tag naming the publication
    date (`article:published_time`, Dublin Core and the like), a <time> marked as
    the publication time, else the first <time datetime> outside page furniture
    (related stories, comments). Never a modification date, a date in the URL or
    a year in the text; a partial date ("2021-06") is no date.
    """
    for script in root.iter("script"):
        if (script.get("type") or "").lower() == "application/ld+json":
            try:
                found = _json_ld_date(json.loads(script.text_content() or "null"))
            except ValueError:
                continue
            if found:
                return found
    for meta in root.iter("meta"):
        for attribute in ("property", "name", "itemprop"):
            if (attribute, (meta.get(attribute) or "").lower()) in _DATE_META:
                found = iso_date(meta.get("content") or "")
                if found:
                    return found
    times = [t for t in root.iter("time") if t.get("datetime")]
    marked = [
        t for t in times if t.get("itemprop", "").lower() == "datepublished" or t.get("pubdate") is not None
    ]
    others = frozenset({"nav", "aside", "footer"})
    for element in marked + [t for t in times if not _in_furniture(t, _OTHER_STORIES, others)][:1]:
        found = iso_date(element.get("datetime") or "")
        if found:
            return found
    return ""


def _json_ld_date(data: object) -> str:
    """The first full `datePublished` in a JSON-LD document (objects, lists, @graph)."""
    if isinstance(data, list):
        for item in data:
            found = _json_ld_date(item)
            if found:
                return found
    elif isinstance(data, dict):
        value = data.get("datePublished")
        if isinstance(value, str) and iso_date(value):
            return iso_date(value)
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if key in data:
                found = _json_ld_date(data[key])
                if found:
                    return found
    return ""


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
