"""How long `python -m bot report` takes over a large question log.

Fills a scratch SQLite database (the bot's own schema, through QuestionLog.record)
with synthetic logged questions over the last week: answered ones citing a few
articles, abstained ones in several topics no article covers (casual questions
made from templates, so that most are distinct), 👎 votes; then builds the report
with the real bundled model, as the command does, and prints how long it took in
all and in its parts (reading the log, embedding the abstained questions,
clustering them).

    python tools/bench_report.py                       # 10,000 questions, a quarter abstained
    python tools/bench_report.py --questions 2000 --abstained 0.1
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cli import load_embedder
from bot.db import Database, sqlite_url, utcnow
from bot.db.questions import AskedQuestion, QuestionLog, Vote
from bot.insights import MAX_CLUSTERED, build_report
from bot.models import Answer, Citation
from bot.settings import BUNDLED_MODEL

# Topics the articles do not cover: (subjects, question templates).
TOPICS = {
    "electric cars": (
        ["an electric car", "an EV", "a tesla", "a hybrid", "an electric van", "an e-bike"],
        ["how long does it take to charge {s}", "whats the range of {s} in winter",
         "how much does it cost to charge {s} at home", "do batteries in {s} wear out",
         "can i charge {s} from a normal plug", "is {s} cheaper to run than petrol"],
    ),
    "football": (
        ["the final", "the derby", "last nights match", "the cup tie", "the away game", "the semi final"],
        ["who scored in {s}", "what was the score in {s}", "who got sent off in {s}",
         "who was man of the match in {s}", "was there a penalty in {s}", "how many fans went to {s}"],
    ),
    "cooking": (
        ["banana bread", "a roast chicken", "sourdough", "brownies", "a lasagne", "pancakes"],
        ["how long do i bake {s}", "what temperature for {s}", "can i freeze {s}",
         "what can i use instead of eggs in {s}", "why did my {s} come out flat", "how do you make {s}"],
    ),
    "mortgages": (
        ["a mortgage", "a home loan", "a fixed rate deal", "a tracker mortgage", "a remortgage",
         "a buy to let loan"],
        ["how much deposit for {s}", "will rates go down for {s}", "can i get {s} if im self employed",
         "what fees come with {s}", "how much can i borrow for {s}", "should i overpay {s}"],
    ),
    "weather": (
        ["this weekend", "tomorrow", "the bank holiday", "next week", "christmas day", "the school holidays"],
        ["will it rain {s}", "how cold will it get {s}", "is there a storm coming {s}",
         "will it snow {s}", "whats the forecast for {s}", "is it going to be windy {s}"],
    ),
    "trains": (
        ["the london train", "the night bus", "the airport express", "the tram", "the ferry", "the metro"],
        ["is {s} running today", "why was {s} cancelled", "how much is a ticket for {s}",
         "is there a strike on {s}", "what time is the last {s}", "can i take my bike on {s}"],
    ),
}  # fmt: skip
ASIDES = ["", "", " please", " anyone know", " right now", " this year", " again", " lol"]
ARTICLES = {
    "spacewalk": ["which rocket launched shenzhou 13", "who walked in space", "how long was the spacewalk"],
    "harbour": ["when did the harbour reopen", "who paid for the harbour wall", "how many ships came back"],
    "budget": ["what happened to income tax", "did fuel duty go up", "how much for the health service"],
    "rover": ["where did the rover land", "what did the rover find", "how fast does the rover drive"],
}


def fill(db: Database, questions: int, abstained_share: float, rng: random.Random) -> None:
    """`questions` logged over the last 7 days, `abstained_share` (0…1) of them abstained."""
    log = QuestionLog(db)
    now = utcnow()
    for i in range(questions):
        when = now - timedelta(seconds=rng.uniform(60, 7 * 86400 - 600))  # within the report's week
        user = rng.randrange(500)
        if rng.random() < abstained_share:
            subjects, templates = TOPICS[rng.choice(list(TOPICS))]
            question = rng.choice(templates).format(s=rng.choice(subjects)) + rng.choice(ASIDES)
            article = rng.choice(list(ARTICLES))
            text = f"Paragraph text of {article}."
            related = tuple(
                Citation(n, article, article.title(), rng.randrange(1, 12), 0, 40, text) for n in (1, 2, 3)
            )
            answer = Answer(question, "I can't find that in the articles.", True, rng.uniform(0, 0.35),
                            related=related)  # fmt: skip
        else:
            article = rng.choice(list(ARTICLES))
            question = rng.choice(ARTICLES[article]) + rng.choice(ASIDES)
            cited = Citation(
                1, article, article.title(), rng.randrange(1, 12), 0, 40, f"A sentence of {article}."
            )
            answer = Answer(question, f"{cited.text} [1]", False, rng.uniform(0.4, 1.0), citations=(cited,))
        asked = AskedQuestion(question, answer, rng.uniform(80, 400), guild_id=1, channel_id=2, user_id=user,
                              asked_at=when)  # fmt: skip
        question_id = log.record(asked, [10_000_000 + i])
        if rng.random() < 0.02:
            log.record_vote(Vote("down", user_id=user, message_id=10_000_000 + i, question_id=question_id,
                                 voted_at=when + timedelta(minutes=1)))  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=int, default=10_000, help="questions logged (default 10,000)")
    parser.add_argument("--abstained", type=float, default=0.25, help="share abstained on (default 0.25)")
    parser.add_argument("--max-clustered", type=int, default=MAX_CLUSTERED,
                        help=f"abstained questions grouped at most (default {MAX_CLUSTERED})")  # fmt: skip
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-report-") as scratch:
        db = Database(sqlite_url(Path(scratch) / "bot.db"))
        began = time.perf_counter()
        fill(db, args.questions, args.abstained, random.Random(args.seed))
        filled = time.perf_counter() - began
        began = time.perf_counter()
        embedder = load_embedder(BUNDLED_MODEL)
        loaded = time.perf_counter() - began
        report = build_report(db, lambda: embedder, timedelta(days=7), max_clustered=args.max_clustered)
        db.close()
    t = report.timings
    embedding, clustering = t.get("embedding", 0.0), t.get("clustering", 0.0)
    print(f"logged {report.questions:,} questions ({report.abstained:,} abstained) in {filled:.1f} s; "
          f"model loaded in {loaded:.1f} s (not counted below)")  # fmt: skip
    print(f"grouped the {report.clustered:,} most recent abstained into {report.group_count} groups; "
          f"largest: {[g.size for g in report.groups[:8]]}")  # fmt: skip
    print("| report over | total | reading the log and the rest | embedding | clustering |")
    print("| --- | --- | --- | --- | --- |")
    rest = t["total"] - embedding - clustering
    print(f"| {report.questions:,} questions, {report.abstained:,} abstained, {report.clustered:,} grouped "
          f"| {t['total']:.2f} s | {rest:.2f} s | {embedding:.2f} s | {clustering:.2f} s |")  # fmt: skip


if __name__ == "__main__":
    main()
