"""Compare HTML extraction settings on the project's test pages, side by side.

    python tools/compare_extractors.py [--show NAME]

Reads tests/data/html_pages/*.html with their *.expected.json (the article's own
paragraphs, title, outlet, author, link and date), extracts each page with every
candidate setting of trafilatura, and prints per setting the recall and
precision of paragraphs (a paragraph counts when its text, white space
collapsed, is extracted exactly, after the project drops boilerplate lines),
the pages extracted whole and clean, and how often title, outlet, author,
link and date come out as expected. `--show NAME`
prints that setting's missed and extra paragraphs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.articles import HTML_EXTRACTION, dateline_date, is_boilerplate, parse_html  # noqa: E402

PAGES = ROOT / "tests" / "data" / "html_pages"
SETTINGS: dict[str, dict[str, Any]] = {
    "default": {"include_comments": False, "include_tables": False},
    "default + tables": {"include_comments": False, "include_tables": True},
    "favor_precision": {"include_comments": False, "include_tables": False, "favor_precision": True},
    "favor_recall": {"include_comments": False, "include_tables": False, "favor_recall": True},
    "favor_recall + tables": {"include_comments": False, "include_tables": True, "favor_recall": True},
    "no_fallback": {"include_comments": False, "include_tables": False, "no_fallback": True},
    "precision, no_fallback": {
        "include_comments": False,
        "include_tables": False,
        "favor_precision": True,
        "no_fallback": True,
    },
}
FIELDS = ("title", "source", "author", "url", "date")


def _norm(text: str) -> str:
    return " ".join(text.split())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--show", help="print the missed and extra paragraphs of this setting")
    args = parser.parse_args()
    pages = sorted(PAGES.glob("*.html"))
    print(f"{len(pages)} pages")
    print(f"{'setting':<24}{'recall':>8}{'precision':>11}{'whole':>7}{'clean':>7}  " + " ".join(FIELDS))
    for name, setting in SETTINGS.items():
        found = expected_n = extracted_n = whole = clean = 0
        fields = dict.fromkeys(FIELDS, 0)
        for page in pages:
            expected = json.loads(page.with_suffix(".expected.json").read_text(encoding="utf-8"))
            gold = [_norm(p) for p in expected["paragraphs"]]
            title, paragraphs, meta = parse_html(page.read_text(encoding="utf-8"), setting)
            got = [_norm(p) for p in paragraphs if not is_boilerplate(p)]
            hit = [p for p in gold if p in got]
            extra = [p for p in got if p not in gold]
            found += len(hit)
            expected_n += len(gold)
            extracted_n += len(got)
            whole += len(hit) == len(gold)
            clean += not extra
            meta.setdefault("date", dateline_date(paragraphs[0]) if paragraphs else "")
            for field in FIELDS:
                fields[field] += ({"title": title, **meta}.get(field) or None) == expected[field]
            if args.show == name:
                for p in gold:
                    if p not in got:
                        print(f"  {page.stem} missed: {p[:120]}")
                for p in extra:
                    print(f"  {page.stem} extra:  {p[:120]}")
        print(
            f"{name:<24}{found / expected_n:>8.3f}{found / max(extracted_n, 1):>11.3f}"
            f"{whole:>7}{clean:>7}  " + " ".join(f"{fields[f]:>2}/{len(pages)}" for f in FIELDS)
        )
    print(f"\nin use (bot/articles.py HTML_EXTRACTION): {HTML_EXTRACTION}")


if __name__ == "__main__":
    main()
