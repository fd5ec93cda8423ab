"""Check a question set written for training or measuring the reader.

    python tools/check_dataset.py datasets/NAME [datasets/OTHER ...]

A set is a folder with `articles/` (the corpus format: .txt or .md with optional
front matter, a title line and blank-line-separated paragraphs, or .html) and `questions.jsonl`,
one object a line:

    {"article": "slug", "question": "...", "answers": ["exact span", ...],
     "is_impossible": false, "style": "formal|casual|crowd|followup|metadata",
     "previous": "the earlier question (follow-ups only)"}

Every answer must occur word for word in the article as the bot reads it
(front matter removed, white space collapsed), or in its front matter for
`metadata` questions. Exits 1 and lists every problem when there is one.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.articles import article_id_for, find_article_files, load_article

STYLES = {"formal", "casual", "crowd", "followup", "metadata"}


def check(folder: Path) -> list[str]:
    problems: list[str] = []
    articles = {}
    raw = {}
    for path in find_article_files(folder / "articles"):
        try:
            article = load_article(path)
        except Exception as exc:  # report every unreadable file
            problems.append(f"{path}: {exc}")
            continue
        articles[article_id_for(path)] = article
        raw[article_id_for(path)] = path.read_text(encoding="utf-8")
    questions_file = folder / "questions.jsonl"
    if not questions_file.exists():
        return [*problems, f"{questions_file} is missing"]
    seen: set[tuple[str, str]] = set()
    asked: dict[str, set[str]] = {}
    rows = []
    for number, line in enumerate(questions_file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{questions_file}:{number}"
        try:
            row = json.loads(line)
        except ValueError as exc:
            problems.append(f"{where}: not JSON ({exc})")
            continue
        rows.append((where, row))
        asked.setdefault(str(row.get("article")), set()).add(str(row.get("question", "")).strip())
    styles: Counter[str] = Counter()
    for where, row in rows:
        article = articles.get(str(row.get("article")))
        question = str(row.get("question", "")).strip()
        answers = row.get("answers")
        impossible = row.get("is_impossible")
        style = row.get("style")
        if article is None:
            problems.append(f"{where}: no article {row.get('article')!r} in {folder / 'articles'}")
            continue
        if not question:
            problems.append(f"{where}: empty question")
        if (row["article"], question) in seen:
            problems.append(f"{where}: the same question twice: {question!r}")
        seen.add((row["article"], question))
        if style not in STYLES:
            problems.append(f"{where}: style {style!r} is not one of {sorted(STYLES)}")
        if not isinstance(impossible, bool) or not isinstance(answers, list):
            problems.append(f"{where}: needs is_impossible (true/false) and answers (a list)")
            continue
        if impossible and answers:
            problems.append(f"{where}: an unanswerable question lists answers")
        if not impossible and not answers:
            problems.append(f"{where}: an answerable question lists no answer")
        where_text = raw[row["article"]] if style == "metadata" else article.text
        for answer in answers:
            if not isinstance(answer, str) or not answer.strip():
                problems.append(f"{where}: empty answer")
            elif answer not in where_text:
                problems.append(f"{where}: answer {answer!r} is not in the article text word for word")
        if style == "followup":
            previous = str(row.get("previous", "")).strip()
            if not previous:
                problems.append(f"{where}: a follow-up needs 'previous'")
            elif previous not in asked.get(row["article"], set()):
                problems.append(f"{where}: its previous question {previous!r} is not a line of this article")
        styles[f"{style}/{'unanswerable' if impossible else 'answerable'}"] += 1
    print(f"{folder}: {len(articles)} articles, {len(rows)} questions")
    for key, count in sorted(styles.items()):
        print(f"  {key}: {count}")
    return problems


def main() -> int:
    problems = []
    for name in sys.argv[1:]:
        if Path(name).is_dir():
            problems += check(Path(name))
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
