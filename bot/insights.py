"""What was not answered: a report over the question log, for operators.

`build_report` reads the questions logged in a period (bot/db/questions.py) and
works out, in one `Report`:

- the abstained questions grouped by meaning: each distinct question (after
  `normalise`) embedded with the bot's own model and clustered (spectral
  clustering over a graph of nearest neighbours, scikit-learn; the number of
  groups with the best silhouette score over cosine distances), each group with
  its size, three examples and the passage the bot most often found closest to
  them (the `related` citations logged with the abstentions);
- the answers voted 👎, with their question;
- the most-asked questions (normalised text, at least two askings);
- the abstention rate by day (UTC);
- usage by article: how many answers cited each article.

Only the `MAX_CLUSTERED` most recent abstained questions are grouped (the report
says when it was capped), so a report over 10,000 logged questions takes seconds
(tools/bench_report.py measures it). The model is loaded only when there is
something to group. Front ends: `python -m bot report` (bot/cli.py) and
`/insights` (bot/discord/insights.py).
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import sqlalchemy as sa

from bot.db import Database, schema, utcnow
from bot.embedding import Embedder
from bot.errors import CommandError

log = logging.getLogger(__name__)

MAX_CLUSTERED = 2000  # the most recent abstained questions grouped by meaning
MAX_GROUPS = 25  # groups kept in a report, largest first
MAX_CUTS = 50  # the most groups the clustering tries (cuts scored)
NEIGHBOURS = 10  # at most, each question's nearest joined in the clustering's graph (scikit-learn's default)
SAME_PAIR_SIMILARITY = 0.5  # two distinct questions alone: one group from this cosine similarity
EXAMPLES = 3  # example questions per group
MAX_DOWN_VOTES = 25  # 👎 answers kept, newest first
MAX_MOST_ASKED = 15  # most-asked questions kept
MAX_ARTICLES = 25  # articles kept in usage by article, most cited first

_PERIOD = re.compile(r"\s*(\d{1,6})\s*(m|min|h|d|w)\s*", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_PERIOD = timedelta(days=3660)


def parse_since(text: str, option: str = "--since") -> timedelta:
    """A period such as "7d", "24h", "30m" or "2w" (minutes, hours, days, weeks; a whole
    number from 1, at most 3,660 days). Raises CommandError (a UserError) naming the
    `option` it was given in and the accepted forms."""
    match = _PERIOD.fullmatch(text or "")
    if match is None or int(match.group(1)) == 0:
        raise CommandError(
            f"{option} {text!r} is not a period: give a whole number and a unit, e.g. 30m, 24h, 7d or 2w"
        )
    period = timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    if period > MAX_PERIOD:
        raise CommandError(f"{option} {text!r} is too long: at most {MAX_PERIOD.days} days")
    return period


def normalise(question: str) -> str:
    """The question as counted: Unicode-normalised (NFKC), case-folded, apostrophes
    dropped, other punctuation made a space, whitespace collapsed ("What's the
    Shenzhou-13 SCORE?" -> "whats the shenzhou 13 score")."""
    text = unicodedata.normalize("NFKC", question).casefold()
    text = re.sub(r"['\u2019]", "", text)
    text = re.sub(r"[^\w\s]|_", " ", text)
    return " ".join(text.split())


# ---- the report ------------------------------------------------------------------------


@dataclass(frozen=True)
class Passage:
    """The passage most often found closest to a group's questions: `article`'s paragraph
    `paragraph` (1-based; 0 for its metadata), `text`; `hits`: how many of the group's
    questions had it among their closest passages."""

    article: str
    paragraph: int
    text: str
    hits: int


@dataclass(frozen=True)
class Group:
    """Abstained questions of one meaning: `size` askings (repeats counted), `examples`:
    up to three distinct questions, the most asked first."""

    size: int
    examples: tuple[str, ...]
    passage: Passage | None


@dataclass(frozen=True)
class DownVote:
    """A 👎 on an answer: what was asked and what the bot said."""

    voted_at: datetime
    question: str
    answer: str
    abstained: bool | None


@dataclass(frozen=True)
class Asked:
    """A question asked `count` times (by its normalised text; `question` is its most
    frequent wording), `abstained` of them without an answer."""

    question: str
    count: int
    abstained: int


@dataclass(frozen=True)
class Day:
    """One UTC day: `asked` questions, `abstained` of them abstained on."""

    day: date
    asked: int
    abstained: int

    @property
    def rate(self) -> float:
        """The share abstained on, 0…1."""
        return self.abstained / self.asked if self.asked else 0.0


@dataclass(frozen=True)
class ArticleUse:
    """`questions`: how many answers cited `article`."""

    article: str
    questions: int


CSV_HEADER = ("section", "key", "count", "abstained", "rate", "question", "article", "paragraph", "text")


@dataclass(frozen=True)
class Report:
    """What was asked and not answered from `since` to `until` (UTC).

    `questions`/`abstained`: counts over the period. `groups`: the largest
    `MAX_GROUPS` of `group_count` groups of the `clustered` most recent abstained
    questions. `down_votes`: the newest of `down_vote_count`. `timings`: seconds
    taken ("total", "embedding", "clustering").
    """

    since: datetime
    until: datetime
    questions: int
    abstained: int
    clustered: int
    group_count: int
    groups: tuple[Group, ...]
    down_vote_count: int
    down_votes: tuple[DownVote, ...]
    most_asked: tuple[Asked, ...]
    days: tuple[Day, ...]
    articles: tuple[ArticleUse, ...]
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def capped(self) -> bool:
        """Whether only the most recent abstained questions were grouped."""
        return self.clustered < self.abstained

    @property
    def abstention_rate(self) -> float:
        """The share of the period's questions abstained on, 0…1."""
        return self.abstained / self.questions if self.questions else 0.0

    def to_json(self) -> dict[str, object]:
        """The report as plain JSON values (times ISO 8601 UTC, rates 0…1 to 4 places)."""
        return {
            "since": self.since.isoformat(timespec="seconds"),
            "until": self.until.isoformat(timespec="seconds"),
            "questions": self.questions,
            "abstained": self.abstained,
            "abstention_rate": round(self.abstention_rate, 4),
            "clustered": self.clustered,
            "capped": self.capped,
            "group_count": self.group_count,
            "groups": [
                {
                    "size": g.size,
                    "examples": list(g.examples),
                    "closest_passage": None
                    if g.passage is None
                    else {
                        "article": g.passage.article,
                        "paragraph": g.passage.paragraph,
                        "text": g.passage.text,
                        "hits": g.passage.hits,
                    },
                }
                for g in self.groups
            ],
            "down_vote_count": self.down_vote_count,
            "down_votes": [
                {
                    "voted_at": v.voted_at.isoformat(timespec="seconds"),
                    "question": v.question,
                    "answer": v.answer,
                    "abstained": v.abstained,
                }
                for v in self.down_votes
            ],
            "most_asked": [
                {"question": a.question, "count": a.count, "abstained": a.abstained} for a in self.most_asked
            ],
            "days": [
                {
                    "day": d.day.isoformat(),
                    "asked": d.asked,
                    "abstained": d.abstained,
                    "rate": round(d.rate, 4),
                }
                for d in self.days
            ],
            "articles": [{"article": a.article, "questions": a.questions} for a in self.articles],
            "timings": {name: round(seconds, 3) for name, seconds in self.timings.items()},
        }

    def csv_rows(self) -> list[tuple[str, ...]]:
        """One table for every section, `CSV_HEADER` first; `section` says which:
        "period" (key since/until), "group" (key: its rank; question: the examples
        joined by " | "; article, paragraph, text: its closest passage), "down_vote"
        (key: when; text: the answer), "most_asked", "day" (key: YYYY-MM-DD), "article"."""
        rows: list[tuple[str, ...]] = [CSV_HEADER]
        rate = f"{self.abstention_rate:.4f}"
        rows.append(
            (
                "period",
                f"{self.since.isoformat(timespec='seconds')}/{self.until.isoformat(timespec='seconds')}",
                str(self.questions),
                str(self.abstained),
                rate,
                "",
                "",
                "",
                "",
            )
        )
        for rank, g in enumerate(self.groups, 1):
            p = g.passage
            rows.append(
                (
                    "group",
                    str(rank),
                    str(g.size),
                    str(g.size),
                    "",
                    " | ".join(g.examples),
                    p.article if p else "",
                    str(p.paragraph) if p else "",
                    p.text if p else "",
                )
            )
        for v in self.down_votes:
            abstained = "" if v.abstained is None else str(int(v.abstained))
            rows.append(
                (
                    "down_vote",
                    v.voted_at.isoformat(timespec="seconds"),
                    "1",
                    abstained,
                    "",
                    v.question,
                    "",
                    "",
                    v.answer,
                )
            )
        for rank, a in enumerate(self.most_asked, 1):
            rows.append(
                (
                    "most_asked",
                    str(rank),
                    str(a.count),
                    str(a.abstained),
                    f"{a.abstained / a.count:.4f}",
                    a.question,
                    "",
                    "",
                    "",
                )
            )
        for d in self.days:
            rows.append(
                ("day", d.day.isoformat(), str(d.asked), str(d.abstained), f"{d.rate:.4f}", "", "", "", "")
            )
        for u in self.articles:
            rows.append(("article", u.article, str(u.questions), "", "", "", u.article, "", ""))
        return rows


# ---- building it ---------------------------------------------------------------------


@dataclass
class _Logged:
    id: int
    asked_at: datetime
    question: str
    abstained: bool


def build_report(
    db: Database,
    embedder: Callable[[], Embedder],
    since: timedelta,
    now: datetime | None = None,
    max_clustered: int = MAX_CLUSTERED,
    guild_id: int | None = None,
) -> Report:
    """The report over the questions logged in the `since` before `now` (default: now);
    with `guild_id`, only those asked (and votes cast) in that Discord server.

    `embedder`: gives the embedding model the bot answers with; called only when
    there are abstained questions to group. Raises StorageError when the database
    cannot be read, EmbedderError when the model cannot be loaded.
    """
    started = time.perf_counter()
    until = now or utcnow()
    start = until - since
    q = schema.questions
    in_period = sa.and_(q.c.asked_at >= start, q.c.asked_at <= until)
    if guild_id is not None:
        in_period = sa.and_(in_period, q.c.guild_id == str(guild_id))
    with db.begin() as connection:
        logged = [
            _Logged(int(r.id), r.asked_at, str(r.question), bool(r.abstained))
            for r in connection.execute(
                sa.select(q.c.id, q.c.asked_at, q.c.question, q.c.abstained).where(in_period).order_by(q.c.id)
            )
        ]
        down_votes, down_vote_count = _down_votes(connection, start, until, guild_id)
        articles = _article_usage(connection, in_period)
        abstained = [item for item in logged if item.abstained]
        recent = (
            sorted(abstained, key=lambda item: (item.asked_at, item.id))[-max_clustered:]
            if max_clustered > 0
            else []
        )
        related = _related(connection, in_period, {item.id for item in recent})
    timings: dict[str, float] = {}
    groups, group_count = _groups(recent, related, embedder, timings)
    timings["total"] = time.perf_counter() - started
    return Report(
        since=start,
        until=until,
        questions=len(logged),
        abstained=len(abstained),
        clustered=len(recent),
        group_count=group_count,
        groups=tuple(groups[:MAX_GROUPS]),
        down_vote_count=down_vote_count,
        down_votes=tuple(down_votes),
        most_asked=tuple(_most_asked(logged)),
        days=tuple(_days(logged)),
        articles=tuple(articles),
        timings=timings,
    )


def _down_votes(
    connection: sa.Connection, start: datetime, until: datetime, guild_id: int | None
) -> tuple[list[DownVote], int]:
    v, q = schema.votes, schema.questions
    down = sa.and_(v.c.vote == "down", v.c.voted_at >= start, v.c.voted_at <= until)
    if guild_id is not None:
        down = sa.and_(down, v.c.guild_id == str(guild_id))
    count = int(connection.execute(sa.select(sa.func.count()).select_from(v).where(down)).scalar_one())
    rows = connection.execute(
        sa.select(
            v.c.voted_at,
            v.c.question,
            v.c.answer,
            v.c.abstained,
            q.c.question.label("logged_question"),
            q.c.answer.label("logged_answer"),
            q.c.abstained.label("logged_abstained"),
        )
        .select_from(v.outerjoin(q, v.c.question_id == q.c.id))
        .where(down)
        .order_by(v.c.voted_at.desc(), v.c.id.desc())
        .limit(MAX_DOWN_VOTES)
    )
    votes = []
    for r in rows:
        # The vote keeps what it saw; the logged question fills in what it did not know.
        abstained = r.abstained if r.abstained is not None else r.logged_abstained
        votes.append(
            DownVote(
                voted_at=r.voted_at,
                question=str(r.question or r.logged_question or ""),
                answer=str(r.answer or r.logged_answer or ""),
                abstained=None if abstained is None else bool(abstained),
            )
        )
    return votes, count


def _article_usage(connection: sa.Connection, in_period: sa.ColumnElement[bool]) -> list[ArticleUse]:
    c, q = schema.citations, schema.questions
    cited = sa.func.count(sa.distinct(c.c.question_id)).label("cited")
    rows = connection.execute(
        sa.select(c.c.article, cited)
        .select_from(c.join(q, c.c.question_id == q.c.id))
        .where(in_period, c.c.related.is_(False))
        .group_by(c.c.article)
        .order_by(cited.desc(), c.c.article)
        .limit(MAX_ARTICLES)
    )
    return [ArticleUse(str(r.article), int(r.cited)) for r in rows]


_PassageKey = tuple[str, int, int, int]  # article, paragraph, start, end


def _related(
    connection: sa.Connection, in_period: sa.ColumnElement[bool], ids: set[int]
) -> dict[int, list[tuple[int, _PassageKey, str]]]:
    """The closest passages logged with each abstention in `ids`: (rank n, key, text)."""
    if not ids:
        return {}
    c, q = schema.citations, schema.questions
    rows = connection.execute(
        sa.select(c.c.question_id, c.c.n, c.c.article, c.c.paragraph, c.c.start, c.c.end, c.c.text)
        .select_from(c.join(q, c.c.question_id == q.c.id))
        .where(in_period, q.c.abstained.is_(True), c.c.related.is_(True))
    )
    found: dict[int, list[tuple[int, _PassageKey, str]]] = defaultdict(list)
    for r in rows:
        if r.question_id in ids:
            key = (str(r.article), int(r.paragraph), int(r.start), int(r.end))
            found[int(r.question_id)].append((int(r.n), key, str(r.text)))
    return found


def _groups(
    abstained: Sequence[_Logged],
    related: dict[int, list[tuple[int, _PassageKey, str]]],
    embedder: Callable[[], Embedder],
    timings: dict[str, float],
) -> tuple[list[Group], int]:
    """The abstained questions grouped by meaning, largest first, and how many groups."""
    if not abstained:
        return [], 0
    # One point per distinct question: repeats weigh in the group's size, not its shape.
    askings: dict[str, list[_Logged]] = defaultdict(list)
    for item in abstained:
        askings[normalise(item.question) or item.question].append(item)
    distinct = list(askings)
    texts = [Counter(i.question for i in askings[key]).most_common(1)[0][0] for key in distinct]
    began = time.perf_counter()
    if len(texts) > 1:
        log.info("grouping %d abstained questions by meaning (the embedding model loads first)…", len(texts))
    vectors = embedder().embed(texts) if len(texts) > 1 else np.zeros((1, 1), dtype=np.float32)
    timings["embedding"] = time.perf_counter() - began
    began = time.perf_counter()
    labels = cluster(vectors)
    timings["clustering"] = time.perf_counter() - began
    members: dict[int, list[int]] = defaultdict(list)
    for point, label in enumerate(labels):
        members[int(label)].append(point)
    groups = []
    for points in members.values():
        points.sort(key=lambda p: (-len(askings[distinct[p]]), texts[p]))
        items = [item for p in points for item in askings[distinct[p]]]
        groups.append(
            Group(
                size=len(items),
                examples=tuple(texts[p] for p in points[:EXAMPLES]),
                passage=_closest_passage(items, related),
            )
        )
    groups.sort(key=lambda g: (-g.size, g.examples))
    return groups, len(groups)


def cluster(vectors: np.ndarray) -> np.ndarray:
    """Group labels (0-based ints, one per row) of L2-normalised `vectors` (n × dimension).

    Spectral clustering: each question is joined to its √n nearest (by cosine; at most
    `NEIGHBOURS`), the graph's Laplacian gives each question coordinates (its first
    eigenvectors, computed once), and k-means on the first k of them gives a cut into k
    groups; of the cuts into 2 to `MAX_CUTS` groups, the one with the best silhouette score over the cosine
    distances. One or two rows: one group, or two when their cosine similarity is under
    `SAME_PAIR_SIMILARITY`. Deterministic (fixed seeds).

    Why not a cut of one hierarchical tree (what this did before): over questions that
    share their subject ("when does the bridge open", "who designed the bridge") average
    linkage split off many groups of one to four questions and scored best at 11 cuts on
    a set written as four topics; the neighbour graph keeps such a topic together
    (tests/data/insights_sets.json, figures in the commit that made this change).
    """
    from scipy.spatial.distance import pdist, squareform
    from sklearn.cluster import KMeans
    from sklearn.manifold import spectral_embedding
    from sklearn.metrics import silhouette_score
    from sklearn.neighbors import kneighbors_graph

    n = len(vectors)
    if n <= 1:
        return np.zeros(n, dtype=np.int64)
    if n == 2:
        similar = float(vectors[0] @ vectors[1]) >= SAME_PAIR_SIMILARITY
        return np.array([0, 0] if similar else [0, 1], dtype=np.int64)
    points = vectors.astype(np.float64)
    square = squareform(np.clip(pdist(points, "cosine"), 0.0, 2.0))
    most = min(n - 1, MAX_CUTS)
    # Euclidean order on unit vectors is cosine order; the graph is made symmetric.
    # About √n neighbours (a common rule), so that a few questions are not all joined together.
    neighbours = max(2, min(NEIGHBOURS, round(n**0.5), n - 1))
    graph = kneighbors_graph(points, neighbours, include_self=True)
    with warnings.catch_warnings():  # topics far apart leave the graph in pieces: that is fine
        warnings.filterwarnings("ignore", "Graph is not fully connected", UserWarning)
        coordinates = spectral_embedding(
            0.5 * (graph + graph.T), n_components=most, drop_first=False, random_state=0
        )
    best: tuple[float, np.ndarray] | None = None
    for k in range(2, most + 1):
        labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(coordinates[:, :k])
        found = len(set(labels.tolist()))
        if found < 2 or found >= n:
            continue
        score = float(silhouette_score(square, labels, metric="precomputed"))
        if best is None or score > best[0]:
            best = (score, labels)
    if best is None:  # every cut put each question alone, or all together
        return np.arange(n, dtype=np.int64)
    _, order = np.unique(best[1], return_inverse=True)
    return np.asarray(order, dtype=np.int64)


def _closest_passage(
    items: list[_Logged], related: dict[int, list[tuple[int, _PassageKey, str]]]
) -> Passage | None:
    """The passage closest to the most of `items`; ties go to the better mean rank."""
    hits: Counter[_PassageKey] = Counter()
    ranks: dict[_PassageKey, list[int]] = defaultdict(list)
    texts: dict[_PassageKey, str] = {}
    for item in items:
        for n, key, text in related.get(item.id, ()):
            hits[key] += 1
            ranks[key].append(n)
            texts[key] = text
    if not hits:
        return None
    key = min(hits, key=lambda k: (-hits[k], sum(ranks[k]) / len(ranks[k]), k))
    return Passage(article=key[0], paragraph=key[1], text=texts[key], hits=hits[key])


def _most_asked(logged: Sequence[_Logged]) -> list[Asked]:
    """Questions asked at least twice (by normalised text), the most asked first."""
    wordings: dict[str, Counter[str]] = defaultdict(Counter)
    abstained: Counter[str] = Counter()
    for item in logged:
        key = normalise(item.question)
        if not key:
            continue
        wordings[key][item.question.strip()] += 1
        abstained[key] += item.abstained
    counted = [
        Asked(question=forms.most_common(1)[0][0], count=sum(forms.values()), abstained=abstained[key])
        for key, forms in wordings.items()
        if sum(forms.values()) >= 2
    ]
    counted.sort(key=lambda a: (-a.count, a.question))
    return counted[:MAX_MOST_ASKED]


def _days(logged: Sequence[_Logged]) -> list[Day]:
    """Questions and abstentions per UTC day, oldest first (days without questions left out)."""
    asked: Counter[date] = Counter()
    abstained: Counter[date] = Counter()
    for item in logged:
        day = item.asked_at.date()
        asked[day] += 1
        abstained[day] += item.abstained
    return [Day(day, asked[day], abstained[day]) for day in sorted(asked)]


# ---- as text ---------------------------------------------------------------------------


def report_text(report: Report, width: int | None = None) -> str:
    """The report as readable text; with `width`, each line clipped to that many characters
    (at least 40), for a terminal. Logged text is shown on one line each."""

    def clip(line: str) -> str:
        limit = max(width, 40) if width is not None else len(line)
        return line if len(line) <= limit else line[: limit - 1] + "\u2026"

    def flat(text: str) -> str:
        return " ".join(text.split())

    span = f"{report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC"
    capped = f" (the {report.clustered:,} most recent of {report.abstained:,})" if report.capped else ""
    lines = [
        f"Questions from {span}: {report.questions:,} asked, {report.abstained:,} abstained "
        f"({report.abstention_rate:.1%}).",
        "",
        f"Not answered, grouped by meaning{capped}:",
    ]
    if not report.groups:
        lines.append("  none")
    for rank, group in enumerate(report.groups, 1):
        lines.append(f"  {rank}. {group.size} question{'s' if group.size != 1 else ''}")
        lines += [f"     - {flat(example)}" for example in group.examples]
        if group.passage is not None:
            p = group.passage
            lines.append(
                f"     closest passage: {p.article}, paragraph {p.paragraph}: \u201c{flat(p.text)}\u201d"
            )
    if report.group_count > len(report.groups):
        lines.append(f"  \u2026 and {report.group_count - len(report.groups)} smaller groups")
    lines += ["", f"Answers voted \U0001f44e ({report.down_vote_count}):"]
    if not report.down_votes:
        lines.append("  none")
    for vote in report.down_votes:
        lines.append(f"  {vote.voted_at:%Y-%m-%d %H:%M}  Q: {flat(vote.question)}")
        lines.append(f"                    A: {flat(vote.answer)}")
    if report.down_vote_count > len(report.down_votes):
        lines.append(f"  \u2026 and {report.down_vote_count - len(report.down_votes)} older")
    lines += ["", "Most asked (asked at least twice):"]
    if not report.most_asked:
        lines.append("  none")
    for asked in report.most_asked:
        unanswered = f"  ({asked.abstained} abstained)" if asked.abstained else ""
        lines.append(f"  {asked.count:>5}  {flat(asked.question)}{unanswered}")
    lines += ["", "Abstention rate by day (UTC):"]
    if not report.days:
        lines.append("  none")
    for day in report.days:
        lines.append(f"  {day.day}  {day.abstained:>5} of {day.asked:>5}  {day.rate:6.1%}")
    lines += ["", "Usage by article (answers citing it):"]
    if not report.articles:
        lines.append("  none")
    for use in report.articles:
        lines.append(f"  {use.questions:>5}  {use.article}")
    return "\n".join(clip(line) for line in lines)
