"""Check the multilingual test articles and questions (standard library only).

Run from the repository root:  python3 tests/data/languages/check.py
"""

import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
QUESTIONS = HERE / "questions.jsonl"
LANGS = {"ru", "el", "zh", "ar", "es"}


def check_article(path, errors):
    text = path.read_text(encoding="utf-8")
    lines = text.rstrip("\n").split("\n")
    if len(lines) < 3 or not lines[0].strip() or lines[1] != "":
        errors.append(f"{path.name}: expected headline, blank line, body")
        return text
    paragraphs = "\n".join(lines[2:]).split("\n\n")
    if not 5 <= len(paragraphs) <= 8:
        errors.append(f"{path.name}: {len(paragraphs)} paragraphs (want 5-8)")
    for i, p in enumerate(paragraphs, 1):
        if not p.strip() or "\n" in p:
            errors.append(f"{path.name}: paragraph {i} is empty or spans lines")
    return text


def main():
    errors = []
    articles = {}
    for path in sorted(CORPUS.glob("*.txt")):
        lang = path.name.split("-", 1)[0]
        if lang not in LANGS:
            errors.append(f"{path.name}: unknown language prefix {lang!r}")
        articles[path.stem] = check_article(path, errors)

    answered, unanswered = Counter(), Counter()
    with QUESTIONS.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            where = f"questions.jsonl:{n}"
            try:
                q = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"{where}: bad JSON ({e})")
                continue
            keys = {"lang", "article", "question", "answers", "sentence"}
            if set(q) != keys:
                errors.append(f"{where}: keys {sorted(q)} != {sorted(keys)}")
                continue
            text = articles.get(q["article"])
            if text is None:
                errors.append(f"{where}: no article {q['article']!r}")
                continue
            if not q["article"].startswith(q["lang"] + "-"):
                errors.append(f"{where}: lang {q['lang']!r} does not match article")
            if not q["question"].strip():
                errors.append(f"{where}: empty question")
            answers, sentence = q["answers"], q["sentence"]
            if not answers:
                if sentence is not None:
                    errors.append(f"{where}: unanswerable question has a sentence")
                unanswered[q["lang"]] += 1
                continue
            answered[q["lang"]] += 1
            if not isinstance(sentence, str) or sentence not in text:
                errors.append(f"{where}: sentence not found in {q['article']}")
            for a in answers:
                if a not in text:
                    errors.append(f"{where}: answer {a!r} not found in article")
                elif isinstance(sentence, str) and a not in sentence:
                    errors.append(f"{where}: answer {a!r} not inside sentence")

    for lang in sorted(LANGS):
        if answered[lang] != 4 or unanswered[lang] != 1:
            errors.append(
                f"{lang}: {answered[lang]} answerable / {unanswered[lang]} unanswerable (want 4 / 1)"
            )

    for e in errors:
        print("FAIL", e)
    if errors:
        return 1
    total = sum(answered.values()) + sum(unanswered.values())
    print(f"OK: {len(articles)} articles, {total} questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
