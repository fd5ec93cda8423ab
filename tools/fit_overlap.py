"""Choose the overlap threshold for questions the reader cannot read (other languages).

    python tools/fit_overlap.py [datasets/languages-dev]

Indexes the set's articles with the bundled embedding model (in a temporary
folder), asks every question, and for the sentence the bot would quote (best
BM25 plus idf share of the question's terms, bot/answering/answerer.py
`_answer_by_overlap`) prints, per threshold on that share, the answerable hit
(the quoted sentence holds a gold answer), the unanswerable abstention and the
overall accuracy. bot/answering/confidence.py OVERLAP_THRESHOLD is the threshold of best
overall accuracy. Deterministic; about a minute on two cores.

    python tools/fit_overlap.py --other-language

measures instead how often bot/articles.py `in_other_language` reads a question as written
in another language than the articles': the English questions of datasets/ (all but
languages-dev) and tests/data/seed_questions.jsonl asked of English articles (each one
it reads so is a fault; with the lowest probability of English among them, against
OTHER_LANGUAGE_PROBABILITY), and the questions of languages-dev and
tests/data/latin_questions.jsonl asked of English articles (per language), and
languages-dev's of articles in their own language. No model; a few seconds.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.embedding import SentenceTransformerEmbedder  # noqa: E402
from bot.engine import ArticleQA  # noqa: E402
from bot.settings import BUNDLED_MODEL, Settings  # noqa: E402


def measure_other_language() -> None:
    from bot.articles import LATIN_LANGUAGES, in_other_language, language_share

    files = [
        f for f in sorted((ROOT / "datasets").glob("*/questions.jsonl")) if f.parent.name != "languages-dev"
    ]
    english = [
        json.loads(line)["question"]
        for f in [*files, ROOT / "tests" / "data" / "seed_questions.jsonl"]
        for line in f.read_text().splitlines()
        if line
    ]
    misread = [q for q in english if in_other_language(q, {"en"})]
    print(f"English questions read as in another language: {len(misread)} of {len(english)}")
    for q in misread:
        print(f"  {q}")
    lowest = min((language_share(q, {"en"}, LATIN_LANGUAGES) or 0.0, q) for q in english)
    print(f"lowest probability of English among them: {lowest[0]:.4f} ({lowest[1]})")
    rows = (ROOT / "datasets" / "languages-dev" / "questions.jsonl").read_text().splitlines()
    asked = [json.loads(line) for line in rows if line]
    latin = (ROOT / "tests" / "data" / "latin_questions.jsonl").read_text().splitlines()
    other = asked + [json.loads(line) for line in latin if line]
    for language in sorted({q["lang"] for q in other}):
        mine = [q["question"] for q in other if q["lang"] == language]
        told = sum(in_other_language(q, {"en"}) for q in mine)
        print(f"{language}: asked of English articles, told {told} of {len(mine)}")
    own = sum(in_other_language(q["question"], {q["lang"]}) for q in asked)
    print(f"asked of articles in their own language, told: {own} of {len(asked)}")


def main() -> None:
    if "--other-language" in sys.argv[1:]:
        measure_other_language()
        return
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "datasets" / "languages-dev"
    questions = [json.loads(line) for line in (folder / "questions.jsonl").read_text().splitlines() if line]
    with tempfile.TemporaryDirectory() as index:
        core = ArticleQA(
            Settings(corpus_dir=folder / "articles", index_dir=Path(index)).core,
            SentenceTransformerEmbedder(BUNDLED_MODEL),
        )
        core.open()
        results = []  # (share of the question's terms, quoted sentence holds the answer, answerable)
        for q in questions:
            scored = core.rank(q["question"])
            best = max(scored, key=lambda c: c.features["lexical"] + c.features["coverage"])
            holds = best.record.id == q["article"] and any(a in best.sentence.text for a in q["answers"])
            results.append((best.features["coverage"], holds, bool(q["answers"])))
    answerable = sum(1 for _, _, a in results if a)
    unanswerable = len(results) - answerable
    print(f"{len(results)} questions, {unanswerable} unanswerable")
    print(f"{'threshold':>9}{'hit':>7}{'abstained':>11}{'overall':>9}")
    best_t, best_overall = 0.0, -1.0
    for step in range(4, 15):
        t = step / 20
        hit = sum(1 for c, h, a in results if a and h and c >= t)
        abstained = sum(1 for c, _, a in results if not a and c < t)
        overall = (hit + abstained) / len(results)
        print(f"{t:>9.2f}{hit / answerable:>7.3f}{abstained / unanswerable:>11.3f}{overall:>9.3f}")
        if overall > best_overall:
            best_t, best_overall = t, overall
    print(f"best overall accuracy at {best_t:.2f}")


if __name__ == "__main__":
    main()
