"""Checks the sentence-boundary test data in this folder; standard library only.

Run from the project root:  python3 tests/data/sentences/check.py
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
NEWS = HERE / "news.jsonl"
OTHER = HERE / "other_languages.jsonl"

KINDS = {
    "abbreviation": "abbr",
    "initials": "init",
    "decimal_money": "num",
    "quotation": "quote",
    "ellipsis": "ellip",
    "list": "list",
    "headline": "head",
    "parentheses": "paren",
    "question_exclamation": "qe",
    "url_email": "url",
    "time_date": "date",
    "golden": "gold",
    "symbols": "sym",
}
LANGS = {"ru", "el", "zh", "ar", "es"}

MIN_NEWS_PARAGRAPHS = 170
MIN_NEWS_SENTENCES = 400
MIN_PER_KIND = 12
MIN_TRICKY = 20
MIN_LANG_PARAGRAPHS = 8
MIN_LANG_SENTENCES = 25
MAX_SENTENCES = 6

# Abbreviations that may end a sentence; a sentence ending in one of these, followed by another
# sentence, defeats a splitter that never splits after an abbreviation.
ENDING_ABBREVIATIONS = {
    "Inc.",
    "Corp.",
    "Ltd.",
    "Co.",
    "co.",
    "Jr.",
    "Sr.",
    "St.",
    "Ave.",
    "etc.",
    "al.",
    "bn.",
    "Fri.",
    "a.m.",
    "p.m.",
    "A.M.",
    "P.M.",
}
MULTI_PERIOD = re.compile(r"(?:[A-Za-z]\.){2,}$")  # U.S., U.K., E.U., D.C.
NAIVE_BOUNDARY = re.compile(r"(?<=\.) (?=[A-Z])")  # split on ". " before a capital letter

PLACEHOLDER_SYMBOLS = ["☉", "∯", "♨", "☝", "✂", "⎋", "ᓰ", "ᓱ", "ᓳ", "ȸ", "M☉", "°C", "±"]
EMOJI = re.compile("[\U0001f300-\U0001faff]")


def load(path: Path, fields: set[str]) -> list[dict]:
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            assert line.endswith("\n") and line.strip(), f"{path.name}:{number}: empty or unterminated line"
            record = json.loads(line)
            assert set(record) == fields, f"{path.name}:{number}: fields {sorted(record)}"
            records.append(record)
    ids = [r["id"] for r in records]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates, f"{path.name}: duplicate ids {duplicates}"
    return records


def check_sentences(record: dict, joiner: str) -> None:
    rid, text, sentences = record["id"], record["text"], record["sentences"]
    assert isinstance(text, str) and text, f"{rid}: empty text"
    assert "\n" not in text and "\r" not in text, f"{rid}: text holds a line break"
    assert isinstance(sentences, list) and 1 <= len(sentences) <= MAX_SENTENCES, f"{rid}: sentence count"
    position = 0
    for sentence in sentences:
        assert isinstance(sentence, str) and sentence, f"{rid}: empty sentence"
        assert sentence == sentence.strip(), f"{rid}: sentence with outer whitespace: {sentence!r}"
        found = text.find(sentence, position)
        assert found >= 0, f"{rid}: not a substring in order: {sentence!r}"
        position = found + len(sentence)
    assert joiner.join(sentences) == text, f"{rid}: joined sentences differ from text"


def ends_in_abbreviation(sentence: str) -> bool:
    last = sentence.split()[-1]
    if MULTI_PERIOD.search(last):
        return True
    for abbreviation in ENDING_ABBREVIATIONS:
        if last.endswith(abbreviation):
            before = last[: -len(abbreviation)]
            if not before or not before[-1].isalpha():
                return True
    return False


def check_news(records: list[dict]) -> None:
    for record in records:
        kind = record["kind"]
        assert kind in KINDS, f"{record['id']}: unknown kind {kind!r}"
        assert re.fullmatch(KINDS[kind] + r"-\d{3}", record["id"]), f"{record['id']}: id does not match kind"
        check_sentences(record, " ")

    kinds = Counter(r["kind"] for r in records)
    sentences = sum(len(r["sentences"]) for r in records)
    multi = sum(1 for r in records if len(r["sentences"]) >= 2)
    naive_fails = [r["id"] for r in records if NAIVE_BOUNDARY.split(r["text"]) != r["sentences"]]
    abbreviation_ends = [
        r["id"] for r in records if any(ends_in_abbreviation(s) for s in r["sentences"][:-1])
    ]

    assert len(records) >= MIN_NEWS_PARAGRAPHS, f"news: {len(records)} paragraphs"
    assert sentences >= MIN_NEWS_SENTENCES, f"news: {sentences} sentences"
    for kind in KINDS:
        assert kinds[kind] >= MIN_PER_KIND, f"news: {kinds[kind]} paragraphs of kind {kind}"
    assert multi * 2 > len(records), "news: most paragraphs should have 2+ sentences"
    assert multi < len(records), "news: some paragraphs should be single sentences"
    assert len(naive_fails) >= MIN_TRICKY, f"news: {len(naive_fails)} paragraphs defeat the naive splitter"
    assert len(abbreviation_ends) >= MIN_TRICKY, f"news: {len(abbreviation_ends)} abbreviation endings"

    quotes = " ".join(r["text"] for r in records if r["kind"] == "quotation")
    for mark in ['"', "“", "”", "?”", "!”"]:
        assert mark in quotes, f"news: quotation paragraphs lack {mark!r}"
    symbols = " ".join(r["text"] for r in records if r["kind"] == "symbols")
    for symbol in PLACEHOLDER_SYMBOLS:
        assert symbol in symbols, f"news: symbols paragraphs lack {symbol!r}"
    assert EMOJI.search(symbols), "news: symbols paragraphs lack an emoji"

    print(f"news.jsonl: {len(records)} paragraphs, {sentences} sentences, {multi} with 2+ sentences")
    for kind in KINDS:
        count = sum(len(r["sentences"]) for r in records if r["kind"] == kind)
        print(f"  {kind:<22}{kinds[kind]:>4} paragraphs{count:>5} sentences")
    print(f"  defeat a naive '. ' + capital splitter: {len(naive_fails)} paragraphs")
    print(f"  end a sentence with an abbreviation:    {len(abbreviation_ends)} paragraphs")


def check_other(records: list[dict]) -> None:
    for record in records:
        rid, lang = record["id"], record["lang"]
        assert lang in LANGS, f"{rid}: unknown lang {lang!r}"
        assert record["kind"] in KINDS, f"{rid}: unknown kind {record['kind']!r}"
        assert re.fullmatch(lang + r"-\d{3}", rid), f"{rid}: id does not match lang"
        expected = "" if lang == "zh" else " "
        assert record["joiner"] == expected, f"{rid}: joiner should be {expected!r}"
        check_sentences(record, record["joiner"])
        if lang == "zh":
            assert " " not in record["text"], f"{rid}: space in Chinese text"
            for sentence in record["sentences"]:
                assert sentence.rstrip("”’」』")[-1] in "。！？", f"{rid}: {sentence!r} lacks 。！？"

    print(f"other_languages.jsonl: {len(records)} paragraphs")
    for lang in sorted(LANGS):
        mine = [r for r in records if r["lang"] == lang]
        count = sum(len(r["sentences"]) for r in mine)
        assert len(mine) >= MIN_LANG_PARAGRAPHS, f"{lang}: {len(mine)} paragraphs"
        assert count >= MIN_LANG_SENTENCES, f"{lang}: {count} sentences"
        print(f"  {lang}{len(mine):>4} paragraphs{count:>5} sentences")

    def texts(lang: str) -> str:
        return " ".join(r["text"] for r in records if r["lang"] == lang)

    assert ";" in texts("el"), "el: no Greek question mark"
    assert "؟" in texts("ar"), "ar: no Arabic question mark"
    assert "¿" in texts("es") and "¡" in texts("es"), "es: no ¿ or ¡"


def main() -> int:
    check_news(load(NEWS, {"id", "kind", "text", "sentences"}))
    check_other(load(OTHER, {"id", "lang", "kind", "joiner", "text", "sentences"}))
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
