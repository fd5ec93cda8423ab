"""Validate the HTML test pages against their NAME.expected.json files.

Standard library only. Run from the repository root:

    python3 tests/data/html_pages/check.py

For every NAME.html there must be a NAME.expected.json (and the other way
round). Each expected file is checked for its fields and their types, and
every expected paragraph must be a whole visible block of the page (a <p>,
a <div> run of text, a stretch between <br> breaks, ...), and the paragraphs
must occur in the page's visible text in the order they are listed.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIELDS = ("title", "source", "author", "url", "date", "paragraphs")
MIN_PAGES = 14
MIN_TOTAL_PARAGRAPHS = 120
MIN_PARAGRAPHS, MAX_PARAGRAPHS = 5, 15

# Elements whose contents a browser never shows as text.
INVISIBLE = {"head", "title", "script", "style", "noscript", "template", "svg", "textarea"}
# Elements that start a new line box: text on either side never runs together.
BLOCK = {
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "html",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "button",
    "select",
    "option",
    "iframe",
    "img",
    "input",
    "amp-img",
    "amp-ad",
    "amp-sidebar",
    "amp-consent",
    "amp-social-share",
    "amp-carousel",
    "amp-accordion",
    "amp-iframe",
}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

ENTITY_LEFTOVER = re.compile(r"&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# Markup that states a publication date; a page whose expected date is null has none of it.
DATE_MARKUP = re.compile(
    r"datetime=|datePublished|dateCreated|published_time|publishedAt|pubdate|name=[\"']date[\"']|"
    r"DC\.date|itemprop=[\"']date",
    re.IGNORECASE,
)
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def collapse(text: str) -> str:
    """White space runs (non-breaking spaces included) become one space."""
    return " ".join(text.split())


class VisibleText(HTMLParser):
    """The page's visible text, cut into blocks at block-level element boundaries."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._current: list[str] = []
        self._hidden: list[str] = []  # stack of open invisible elements

    def _break(self) -> None:
        text = collapse("".join(self._current))
        if text:
            self.blocks.append(text)
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in INVISIBLE and tag not in VOID:
            self._hidden.append(tag)
            return
        if not self._hidden and tag in BLOCK:
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._hidden and tag in BLOCK:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if self._hidden:
            if tag == self._hidden[-1]:
                self._hidden.pop()
            return
        if tag in BLOCK:
            self._break()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._current.append(data)

    def close(self) -> None:
        super().close()
        self._break()


def visible_blocks(page: str) -> list[str]:
    parser = VisibleText()
    parser.feed(page)
    parser.close()
    return parser.blocks


def check_page(name: str, page: str, expected: object) -> list[str]:
    problems: list[str] = []
    if not isinstance(expected, dict):
        return ["expected.json is not a JSON object"]
    missing = [f for f in FIELDS if f not in expected]
    extra = [f for f in expected if f not in FIELDS]
    if missing:
        problems.append(f"missing fields: {missing}")
    if extra:
        problems.append(f"unexpected fields: {extra}")
    if missing:
        return problems

    raw = html.unescape(page)
    blocks = visible_blocks(page)
    visible = " ".join(blocks)

    title = expected["title"]
    if not isinstance(title, str) or not title.strip():
        problems.append("title must be a non-empty string")
    elif collapse(title) != title:
        problems.append("title has uncollapsed white space")
    elif title not in visible and title not in collapse(raw):
        problems.append(f"title not found in page: {title!r}")

    for field in ("source", "author", "url"):
        value = expected[field]
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{field} must be a non-empty string or null")
        elif value not in raw:
            problems.append(f"{field} not found in page: {value!r}")
    url = expected["url"]
    if isinstance(url, str) and not url.startswith(("http://", "https://")):
        problems.append(f"url is not absolute: {url!r}")

    date = expected["date"]
    if date is None:
        if DATE_MARKUP.search(page):
            problems.append(f"date is null but the markup states one: {DATE_MARKUP.search(page).group(0)!r}")
        if ISO_DATE.search(raw):
            problems.append(f"date is null but the page holds an ISO date: {ISO_DATE.search(raw).group(0)!r}")
    elif not isinstance(date, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        problems.append(f"date must be YYYY-MM-DD or null: {date!r}")
    else:
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            problems.append(f"date is not a real day: {date!r}")
        else:
            spelled = f"{MONTHS[day.month - 1]} {day.day}, {day.year}"
            if date not in raw and date.replace("-", "") not in raw and spelled not in visible:
                problems.append(f"date {date} is not stated anywhere in the page")

    paragraphs = expected["paragraphs"]
    if not isinstance(paragraphs, list) or not all(isinstance(p, str) for p in paragraphs):
        problems.append("paragraphs must be a list of strings")
        return problems
    if not MIN_PARAGRAPHS <= len(paragraphs) <= MAX_PARAGRAPHS:
        problems.append(f"{len(paragraphs)} paragraphs; expected {MIN_PARAGRAPHS}-{MAX_PARAGRAPHS}")
    if len(set(paragraphs)) != len(paragraphs):
        problems.append("a paragraph is listed twice")
    block_set = set(blocks)
    position = 0
    for number, paragraph in enumerate(paragraphs, start=1):
        label = f"paragraph {number} ({paragraph[:50]!r}...)"
        if not paragraph or collapse(paragraph) != paragraph:
            problems.append(f"{label} is empty or has uncollapsed white space")
            continue
        if ENTITY_LEFTOVER.search(paragraph) or "<" in paragraph:
            problems.append(f"{label} holds markup or an undecoded entity")
        if paragraph == title:
            problems.append(f"{label} repeats the title")
        if paragraph not in block_set:
            problems.append(f"{label} is not a whole visible block of the page")
        found = visible.find(paragraph, position)
        if found < 0:
            where = "anywhere in" if paragraph not in visible else "in order in"
            problems.append(f"{label} not found {where} the visible text")
        else:
            position = found + len(paragraph)
    return problems


def main() -> int:
    pages = sorted(HERE.glob("*.html"))
    expected_files = sorted(HERE.glob("*.expected.json"))
    failures = 0
    names = {p.name[: -len(".html")] for p in pages}
    for exp in expected_files:
        if exp.name[: -len(".expected.json")] not in names:
            print(f"FAIL {exp.name}: no matching .html page")
            failures += 1
    total = 0
    for page_path in pages:
        name = page_path.name[: -len(".html")]
        exp_path = HERE / f"{name}.expected.json"
        if not exp_path.exists():
            print(f"FAIL {name}: no {exp_path.name}")
            failures += 1
            continue
        try:
            expected = json.loads(exp_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            print(f"FAIL {name}: expected.json is not valid JSON: {exc}")
            failures += 1
            continue
        problems = check_page(name, page_path.read_text(encoding="utf-8"), expected)
        count = len(expected.get("paragraphs") or []) if isinstance(expected, dict) else 0
        total += count
        if problems:
            failures += 1
            print(f"FAIL {name}")
            for problem in problems:
                print(f"     {problem}")
        else:
            print(f"ok   {name} ({count} paragraphs, date {expected['date']})")
    if len(pages) < MIN_PAGES:
        print(f"FAIL only {len(pages)} pages; want at least {MIN_PAGES}")
        failures += 1
    if total < MIN_TOTAL_PARAGRAPHS:
        print(f"FAIL only {total} paragraphs in all; want at least {MIN_TOTAL_PARAGRAPHS}")
        failures += 1
    print(f"{len(pages)} pages, {total} paragraphs, {failures} failing")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
