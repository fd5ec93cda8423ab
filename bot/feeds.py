"""Following news feeds (RSS and Atom): each new entry's page fetched and added to the corpus.

The feeds followed and the entries seen are kept in the operators' database
(tables `feeds` and `feed_entries`, bot/db/schema.py). A poll fetches every feed
that is due with a conditional request (If-None-Match / If-Modified-Since from the
last answer; a 304 means nothing new), through the same safe fetcher as `add URL`
(bot/fetch.py: public addresses only unless ALLOW_PRIVATE_URLS, size and time
capped); feedparser reads the document, and each entry not seen before has its
link fetched the same way and written to the corpus (bot/corpus.py). The caller
reindexes once afterwards (`poll_feeds` does both).

An entry already in the corpus (the same URL, before or after redirects, or the
same text) is recorded "duplicate" and not added again; an entry whose page cannot
be fetched or read is recorded "failed" with its error, and tried again at the next
poll, also when the feed's document has not changed (304). A feed that cannot be fetched or read backs off:
after n failures in a row it is next polled after 2^n poll intervals, at most a day.

Crash safety: an entry is marked "pending" before its page is fetched and marked
done only after its file is in the corpus; the feed's validators (ETag,
Last-Modified) are stored only once every entry of the document has been handled.
So a process killed mid-poll fetches the whole document again next time, and an
entry whose file was written but not recorded is recognised by its URL or text and
recorded, never added twice. Only one process polls at a time: the poll holds the
database lease `feed-poll` (renewed as it goes; a killed holder's lease expires
after LEASE_SECONDS).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

from bot.articles import article_id_for, find_article_files, load_article, parse_article
from bot.corpus import CorpusFolder
from bot.db import schema
from bot.db.database import Database, utcnow
from bot.errors import FeedError, UserError
from bot.fetch import MAX_URL_CHARS, fetch_article
from bot.index import IndexSnapshot, ReindexReport

log = logging.getLogger(__name__)

POLL_LEASE = "feed-poll"  # the database lease held by the one process polling
LEASE_SECONDS = 300.0  # a poll renews it before every feed and entry
MAX_BACKOFF = timedelta(days=1)
MAX_NEW_ENTRIES = 50  # entries fetched per feed and poll; the rest come at the next poll
ERROR_CHARS = 500  # of an error kept in the database
TITLE_CHARS = 200  # of a feed's title kept

# What became of an entry (feed_entries.status). "pending": its page is being
# fetched (a poll cut short leaves it so; the next poll finishes it).
ADDED, DUPLICATE, FAILED, PENDING = "added", "duplicate", "failed", "pending"


def check_feed_url(url: str) -> str:
    """The URL as feeds are kept: without surrounding space or a #fragment, its scheme and
    host in lower case (so one feed is not followed twice under two spellings). FeedError
    unless it is an http(s) URL with a host, of at most MAX_URL_CHARS characters."""
    url = url.strip()
    if len(url) > MAX_URL_CHARS:
        raise FeedError(f"the URL is {len(url):,} characters; the limit is {MAX_URL_CHARS:,}")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise FeedError(f"{url[:200]!r} is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise FeedError(f"{url[:200]!r} is not an http(s) URL")
    user, at, place = parts.netloc.rpartition("@")
    return urlunsplit((scheme, f"{user}{at}{place.lower()}", parts.path, parts.query, ""))


def backoff(failures: int, interval: timedelta) -> timedelta:
    """How long a feed that failed `failures` times in a row (>= 1) waits before the next
    try: 2^failures poll intervals, at most a day."""
    wait: timedelta = interval * 2 ** min(failures, 20)
    return min(wait, MAX_BACKOFF)


@dataclass(frozen=True)
class Feed:
    """A followed feed as the database has it, with how many of its entries were added,
    skipped as duplicates and failed. Times are UTC; `failures` counts failed polls in a
    row (0: the last poll went well)."""

    id: int
    url: str
    title: str | None
    added_at: datetime
    last_polled_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    failures: int
    next_poll_at: datetime | None
    added: int = 0
    duplicates: int = 0
    failed: int = 0

    @property
    def failing(self) -> bool:
        return self.failures > 0

    def state(self) -> str:
        """ "not polled yet", "ok, polled …" or "FAILING (n in a row; next try …): error"."""
        if self.last_polled_at is None:
            return "not polled yet"
        if self.failing:
            return (
                f"FAILING ({self.failures} in a row; next try {_when(self.next_poll_at)}): {self.last_error}"
            )
        return f"ok, polled {_when(self.last_polled_at)}"

    def counts(self) -> str:
        return f"{self.added} added, {self.duplicates} duplicate, {self.failed} failed"

    def describe(self) -> str:
        """One line for `feeds list`: the feed, its state and its entries."""
        title = f' "{self.title}"' if self.title else ""
        return f"{self.url}{title}: {self.state()}; entries: {self.counts()}"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "now"


class FeedList:
    """The feeds followed, in the database `db`: added, removed and listed."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, url: str) -> Feed:
        """Follow `url` (polled at the next poll); FeedError when it is not an http(s) URL or
        is followed already."""
        url = check_feed_url(url)
        with self.db.begin() as connection:
            if connection.execute(sa.select(schema.feeds.c.id).where(schema.feeds.c.url == url)).first():
                raise FeedError(f"{url} is followed already")
            connection.execute(sa.insert(schema.feeds).values(url=url, added_at=utcnow(), failures=0))
        return self.get(url)

    def remove(self, url: str) -> Feed:
        """Stop following `url` and forget its entries (the articles stay in the corpus);
        FeedError when it is not followed."""
        feed = self.get(check_feed_url(url))
        with self.db.begin() as connection:
            connection.execute(sa.delete(schema.feed_entries).where(schema.feed_entries.c.feed_id == feed.id))
            connection.execute(sa.delete(schema.feeds).where(schema.feeds.c.id == feed.id))
        return feed

    def get(self, url: str) -> Feed:
        """The feed followed at `url`; FeedError when there is none."""
        for feed in self.all():
            if feed.url == url:
                return feed
        raise FeedError(f"{url} is not followed; `feeds list` shows the feeds followed")

    def all(self) -> list[Feed]:
        """Every feed followed, in the order they were added."""
        feeds, entries = schema.feeds, schema.feed_entries
        with self.db.begin() as connection:
            rows = connection.execute(sa.select(feeds).order_by(feeds.c.id)).mappings().all()
            counts = connection.execute(
                sa.select(entries.c.feed_id, entries.c.status, sa.func.count()).group_by(
                    entries.c.feed_id, entries.c.status
                )
            ).all()
        tally: dict[tuple[int, str], int] = {(int(f), str(s)): int(n) for f, s, n in counts}
        return [
            Feed(
                id=row["id"],
                url=row["url"],
                title=row["title"],
                added_at=row["added_at"],
                last_polled_at=row["last_polled_at"],
                last_ok_at=row["last_ok_at"],
                last_error=row["last_error"],
                failures=row["failures"],
                next_poll_at=row["next_poll_at"],
                added=tally.get((row["id"], ADDED), 0),
                duplicates=tally.get((row["id"], DUPLICATE), 0),
                failed=tally.get((row["id"], FAILED), 0),
            )
            for row in rows
        ]

    def status_line(self, limit: int = 300) -> str:
        """For /status: "3 followed, 1 failing (last error: URL: …)", at most `limit` characters."""
        feeds = self.all()
        if not feeds:
            return "none followed"
        failing = [f for f in feeds if f.failing]
        text = f"{len(feeds)} followed, {len(failing)} failing"
        if failing:
            last = max(failing, key=lambda f: f.last_polled_at or f.added_at)
            text += f" (last error: {last.url}: {last.last_error})"
        return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- what the corpus holds -----------------------------------------------------------


def text_digest(text: str) -> str:
    """SHA-256 of an article's text as read (ArticleRecord.text_digest)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _url_key(url: str) -> str:
    return url.strip().split("#", 1)[0]


@dataclass
class KnownArticles:
    """The corpus's articles by source URL and by text, to recognise an entry already there.

    `unindexed`: corpus files the index does not have yet (e.g. written by a poll cut
    short), which a reindex should pick up."""

    by_url: dict[str, str] = field(default_factory=dict)  # URL without its fragment -> corpus file
    by_text: dict[str, str] = field(default_factory=dict)  # text digest -> corpus file
    unindexed: list[str] = field(default_factory=list)

    def find(self, *urls: str) -> str | None:
        """The corpus file of the first of `urls` the corpus holds, or None."""
        for url in urls:
            found = self.by_url.get(_url_key(url)) if url else None
            if found is not None:
                return found
        return None

    def remember(self, urls: Sequence[str], digest: str, file: str) -> None:
        for url in urls:
            if url:
                self.by_url.setdefault(_url_key(url), file)
        self.by_text.setdefault(digest, file)


def known_articles(corpus_dir: Path, snapshot: IndexSnapshot | None, max_bytes: int) -> KnownArticles:
    """What the corpus holds: the indexed articles from `snapshot` (None: no index yet), and
    every corpus file the index does not have read here (files over `max_bytes` or not
    readable as articles are left out)."""
    known = KnownArticles()
    indexed: set[str] = set()
    if snapshot is not None:
        for record in snapshot.articles:
            known.remember([record.url], record.text_digest, record.file)
            indexed.add(record.file)
        indexed |= set(snapshot.duplicates) | set(snapshot.manifest.skipped)
    if not corpus_dir.is_dir():
        return known
    for path in find_article_files(corpus_dir):
        rel = str(path.relative_to(corpus_dir))
        if rel in indexed:
            continue
        known.unindexed.append(rel)
        try:
            article = load_article(path, max_bytes)
        except (UserError, OSError):
            continue
        known.remember([article.url], text_digest(article.text), rel)
    return known


# ---- polling -------------------------------------------------------------------------


def _pid_namespace() -> str:
    """This process's PID namespace (Linux; "" elsewhere): two containers may share a host
    name, but a PID means the same process only within one namespace."""
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return ""


_HOLDER = re.compile(r" on (?P<host>[^,\s/]+)(?:/(?P<ns>\d+))?, pid (?P<pid>\d+)(?:,|$)")


def lease_holder(role: str, detail: str = "") -> str:
    """The poll lease's holder name for this process: `role` ("bot", "`feeds poll`"), the
    host (and PID namespace), the PID, then `detail` (e.g. ", shards 0,1"). Shown to operators
    while it polls; `holder_gone` reads it back."""
    namespace = _pid_namespace()
    host = socket.gethostname() + (f"/{namespace}" if namespace else "")
    return f"{role} on {host}, pid {os.getpid()}{detail}"


def holder_gone(holder: str) -> bool:
    """Whether `holder` (a `lease_holder` name) is a process of this host and PID namespace
    that no longer runs, e.g. a poll killed with SIGKILL, whose lease would otherwise block
    every poll for LEASE_SECONDS. False whenever that cannot be told for sure (another
    host or namespace, another form of name, no way to check)."""
    match = _HOLDER.search(holder)
    if match is None or match.group("ns") is None:
        return False
    if match.group("host") != socket.gethostname() or match.group("ns") != _pid_namespace():
        return False
    pid = int(match.group("pid"))
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:  # exists, run by another user
        return False
    return False


@dataclass(frozen=True)
class EntryResult:
    """One entry handled by a poll: `status` ADDED, DUPLICATE or FAILED; `article` the corpus
    file it became or already was; `error` why it failed."""

    url: str
    title: str
    status: str
    article: str | None = None
    error: str | None = None

    def named(self) -> str:
        """The entry for the operator: its link, else its title (an entry may have no link)."""
        return self.url or (f'"{self.title}"' if self.title else "an entry without a link or title")


@dataclass
class FeedResult:
    """One feed in a poll. `outcome`: "read" (the document was read), "not modified" (304),
    "failed" (the document could not be fetched or read; `error` says why), "not due"
    (polled less than a poll interval ago) or "backing off" (after failures), each of the
    last two until `next_poll_at`."""

    url: str
    outcome: str
    entries: list[EntryResult] = field(default_factory=list)
    error: str | None = None
    next_poll_at: datetime | None = None
    more: bool = False  # more new entries than MAX_NEW_ENTRIES: the rest come next poll

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)

    def line(self) -> str:
        """One line for the operator."""
        if self.outcome == "backing off":
            return f"{self.url}: backing off after failures; next try {_when(self.next_poll_at)}"
        if self.outcome == "not due":
            return f"{self.url}: not due until {_when(self.next_poll_at)}"
        if self.outcome == "failed":
            return f"{self.url}: failed: {self.error}; next try {_when(self.next_poll_at)}"
        if self.outcome == "not modified" and not self.entries:
            return f"{self.url}: not modified"
        added = [e.article for e in self.entries if e.status == ADDED]
        text = f"{self.url}: {len(added)} added"
        if added:
            text += f" ({', '.join(str(a) for a in added[:10])}{' …' if len(added) > 10 else ''})"
        text += f", {self.count(DUPLICATE)} already in the corpus, {self.count(FAILED)} failed"
        for entry in self.entries:
            if entry.status == FAILED:
                text += f"\n  failed: {entry.named()}: {entry.error}"
        if self.more:
            text += f"\n  more than {MAX_NEW_ENTRIES} new entries: the rest come at the next poll"
        return text


@dataclass
class PollReport:
    """What one poll did. `busy`: the holder of the poll lease when another process was
    polling (nothing was done); `unindexed`: articles added from feeds earlier that the index
    lacked before the poll (its reindex was cut short); `reindex`: the reindex that
    followed, if one ran."""

    feeds: list[FeedResult] = field(default_factory=list)
    busy: str | None = None
    unindexed: list[str] = field(default_factory=list)
    reindex: ReindexReport | None = None

    @property
    def added(self) -> list[str]:
        """The corpus files added, in order."""
        return [str(e.article) for f in self.feeds for e in f.entries if e.status == ADDED]

    @property
    def needs_reindex(self) -> bool:
        return bool(self.added or self.unindexed)

    def lines(self) -> list[str]:
        """What happened, for the operator: a line per feed, then the reindex."""
        if self.busy is not None:
            return [f"another process is polling the feeds ({self.busy}); nothing done"]
        lines = [f.line() for f in self.feeds] or ["no feeds followed; add one with `feeds add URL`"]
        if self.reindex is not None:
            lines.append(f"reindex: {self.reindex.summary()}")
        return lines

    def summary(self) -> str:
        """One line for the log."""
        if self.busy is not None:
            return f"feeds polled by {self.busy}"
        failed = sum(1 for f in self.feeds if f.outcome == "failed")
        entries_failed = sum(f.count(FAILED) for f in self.feeds)
        return (
            f"{len(self.feeds)} feeds, {failed} failed; {len(self.added)} entries added, "
            f"{sum(f.count(DUPLICATE) for f in self.feeds)} already in the corpus, {entries_failed} failed"
        )


class FeedPoller:
    """Polls the feeds in `db`, adding new entries' pages to `corpus` within its settings'
    limits (max_article_bytes, url_timeout_seconds, allow_private_urls; the feed documents
    too). `poll_minutes`: the poll interval (FEED_POLL_MINUTES), which sets when a feed is
    next due and its back-off; `holder`: who holds the poll lease (unique per process);
    `clock`: now, in UTC (tests pass another).
    """

    def __init__(
        self,
        db: Database,
        corpus: CorpusFolder,
        poll_minutes: float,
        holder: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.corpus = corpus
        self.settings = corpus.settings
        self.interval = timedelta(minutes=poll_minutes)
        self.holder = holder
        self.clock = clock

    def poll_and_reindex(
        self,
        snapshot: IndexSnapshot | None,
        reindex: Callable[[], ReindexReport],
        every: bool = False,
        force: bool = False,
    ) -> PollReport:
        """`poll`, then `reindex()` once when anything was added (or articles added from feeds
        before are not indexed yet). Blocking: the bot runs it in a thread, answering from the old
        index until the reindex swaps in the new one."""
        report = self.poll(snapshot, every=every, force=force)
        if report.needs_reindex:
            report.reindex = reindex()
        return report

    def poll(self, snapshot: IndexSnapshot | None, every: bool = False, force: bool = False) -> PollReport:
        """Poll the feeds that are due: polled over a poll interval ago, or backing off
        after failures and at the end of their wait. `every`: also the healthy feeds not due
        yet (`feeds poll`); `force`: also those backing off.

        `snapshot`: the live index, to recognise the articles the corpus holds (None:
        none yet). Raises StorageError when the database fails; a feed or an entry
        that fails is recorded and does not stop the others.
        """
        if not self._acquire():
            return PollReport(busy=self._lease_holder())
        try:
            followed = self._feeds()
            if not followed:
                return PollReport()
            known = known_articles(self.settings.corpus_dir, snapshot, self.settings.max_article_bytes)
            # Articles of entries done but not indexed yet (the reindex after a poll was cut short).
            report = PollReport(unindexed=sorted(set(known.unindexed) & self._articles_added()))
            for feed in followed:
                waiting = feed["next_poll_at"] is not None and feed["next_poll_at"] > self.clock()
                backing_off = waiting and feed["failures"] > 0
                if (backing_off and not force) or (waiting and not backing_off and not every):
                    outcome = "backing off" if backing_off else "not due"
                    report.feeds.append(FeedResult(feed["url"], outcome, next_poll_at=feed["next_poll_at"]))
                    continue
                if not self._renew():
                    log.warning("lost the feed poll lease; stopping this poll")
                    break
                report.feeds.append(self._poll_feed(feed, known))
            return report
        finally:
            self.db.release_lease(POLL_LEASE, self.holder)

    def _lease_holder(self) -> str:
        with self.db.begin() as connection:
            holder = connection.execute(
                sa.select(schema.leases.c.holder).where(schema.leases.c.name == POLL_LEASE)
            ).scalar_one_or_none()
        return str(holder or "another process")

    def _acquire(self) -> bool:
        """Take the poll lease; also from a holder that died on this host (see holder_gone)."""
        if self.db.acquire_lease(POLL_LEASE, self.holder, LEASE_SECONDS):
            return True
        holder = self._lease_holder()
        if not holder_gone(holder):
            return False
        log.warning("the feed poll lease was held by %s, which no longer runs; taking it over", holder)
        return self.db.take_over_lease(POLL_LEASE, self.holder, holder, LEASE_SECONDS)

    def _renew(self) -> bool:
        return self.db.acquire_lease(POLL_LEASE, self.holder, LEASE_SECONDS)

    def _feeds(self) -> list[dict[str, Any]]:
        with self.db.begin() as connection:
            rows = connection.execute(sa.select(schema.feeds).order_by(schema.feeds.c.id)).mappings().all()
        return [dict(row) for row in rows]

    def _poll_feed(self, feed: dict[str, Any], known: KnownArticles) -> FeedResult:
        url, started = str(feed["url"]), self.clock()
        headers = {}
        if feed["etag"]:
            headers["If-None-Match"] = str(feed["etag"])
        if feed["last_modified"]:
            headers["If-Modified-Since"] = str(feed["last_modified"])
        try:
            fetched = fetch_article(
                url,
                self.settings.max_article_bytes,
                self.settings.url_timeout_seconds,
                self.settings.allow_private_urls,
                headers=headers,
            )
            if fetched.status == 304:
                return self._retry_failed(feed, started, known)
            parsed = parse_feed(fetched.data, fetched.url, fetched.headers.get("content-type", ""))
        except UserError as exc:
            return self._failed(feed, started, str(exc))
        result = FeedResult(url, "read")
        self._take_entries(feed, _entries(parsed), known, result)
        validators = {} if result.more else {
            "etag": fetched.headers.get("etag"),
            "last_modified": fetched.headers.get("last-modified"),
        }  # fmt: skip
        feed_title = str(parsed.get("feed", {}).get("title") or feed["title"] or "")[:TITLE_CHARS] or None
        self._succeeded(feed["id"], started, {**validators, "title": feed_title})
        return result

    def _retry_failed(self, feed: dict[str, Any], started: datetime, known: KnownArticles) -> FeedResult:
        """A feed that has not changed (304): its entries that failed, or that a poll cut
        short left pending, are tried again (a page that was down may be back)."""
        entries = schema.feed_entries
        with self.db.begin() as connection:
            rows = connection.execute(
                sa.select(entries.c.entry_key, entries.c.url, entries.c.title)
                .where(entries.c.feed_id == feed["id"], entries.c.status.in_((FAILED, PENDING)))
                .where(entries.c.url != "")
                .order_by(entries.c.id)
            ).all()
        result = FeedResult(str(feed["url"]), "not modified")
        self._take_entries(feed, [(str(k), str(u), str(t or "")) for k, u, t in rows], known, result)
        self._succeeded(feed["id"], started, {})
        return result

    def _take_entries(
        self,
        feed: dict[str, Any],
        entries: list[tuple[str, str, str]],
        known: KnownArticles,
        result: FeedResult,
    ) -> None:
        """Take each (key, link, title) not yet added or known as a duplicate, recording
        it pending first and then what became of it, into `result`."""
        url = str(feed["url"])
        seen = self._entry_statuses(feed["id"])
        for key, link, title in entries:
            if seen.get(key) in (ADDED, DUPLICATE):
                continue
            if len(result.entries) >= MAX_NEW_ENTRIES:
                result.more = True
                break
            if not self._renew():
                result.more = True  # another process polls now; the validators stay unstored
                break
            self._record(feed["id"], key, link, title, PENDING, None, None, exists=key in seen)
            entry = self._take(link, title, known, seen.get(key) == PENDING)
            self._record(feed["id"], key, link, title, entry.status, entry.article, entry.error, exists=True)
            result.entries.append(entry)
            error = f" ({entry.error})" if entry.error else ""
            log.info("feed %s: %s %s%s", url, entry.status, entry.named(), error)

    def _take(self, link: str, title: str, known: KnownArticles, pending: bool) -> EntryResult:
        """Add the page of one entry to the corpus, unless it is there already."""
        if not link:
            return EntryResult(link, title, FAILED, error="the entry has no link")
        found = known.find(link)
        if found is not None:
            # A page written by a poll cut short (the entry was pending) was this entry's own.
            return EntryResult(link, title, ADDED if pending else DUPLICATE, found)
        try:
            fetched = self.corpus.download(link)
            found = known.find(fetched.url)
            if found is not None:
                return EntryResult(link, title, ADDED if pending else DUPLICATE, found)
            article = parse_article(fetched.data, fetched.filename, article_id_for(Path(fetched.filename)))
            digest = text_digest(article.text)
            found = known.by_text.get(digest)
            if found is not None:
                return EntryResult(link, title, ADDED if pending else DUPLICATE, found)
            name = self.corpus.free_name(fetched.filename, fetched.data)
            path = self.corpus.add_bytes(name, fetched.data)
        except UserError as exc:
            return EntryResult(link, title, FAILED, error=_clipped(str(exc)))
        file = str(path.relative_to(self.settings.corpus_dir))
        known.remember([link, fetched.url], digest, file)
        return EntryResult(link, title or article.title, ADDED, file)

    def _articles_added(self) -> set[str]:
        entries = schema.feed_entries
        with self.db.begin() as connection:
            rows = connection.execute(sa.select(entries.c.article).where(entries.c.status == ADDED)).all()
        return {str(article) for (article,) in rows if article}

    def _entry_statuses(self, feed_id: int) -> dict[str, str]:
        entries = schema.feed_entries
        with self.db.begin() as connection:
            rows = connection.execute(
                sa.select(entries.c.entry_key, entries.c.status).where(entries.c.feed_id == feed_id)
            ).all()
        return {str(key): str(status) for key, status in rows}

    def _record(
        self,
        feed_id: int,
        key: str,
        url: str,
        title: str,
        status: str,
        article: str | None,
        error: str | None,
        exists: bool,
    ) -> None:
        entries = schema.feed_entries
        values = {"url": url, "title": title or None, "status": status, "article": article, "error": error}
        with self.db.begin() as connection:
            if exists:
                connection.execute(
                    sa.update(entries)
                    .where(entries.c.feed_id == feed_id, entries.c.entry_key == key)
                    .values(**values)
                )
            else:
                connection.execute(
                    sa.insert(entries).values(feed_id=feed_id, entry_key=key, seen_at=self.clock(), **values)
                )

    def _succeeded(self, feed_id: int, started: datetime, values: dict[str, Any]) -> None:
        # Due again one interval after this poll began (a little before, so that a poll
        # that wakes every interval finds it due).
        due = started + self.interval - min(timedelta(minutes=1), self.interval / 10)
        with self.db.begin() as connection:
            connection.execute(
                sa.update(schema.feeds)
                .where(schema.feeds.c.id == feed_id)
                .values(
                    last_polled_at=started,
                    last_ok_at=started,
                    last_error=None,
                    failures=0,
                    next_poll_at=due,
                    **values,
                )
            )

    def _failed(self, feed: dict[str, Any], started: datetime, error: str) -> FeedResult:
        failures = int(feed["failures"] or 0) + 1
        due = started + backoff(failures, self.interval)
        with self.db.begin() as connection:
            connection.execute(
                sa.update(schema.feeds)
                .where(schema.feeds.c.id == feed["id"])
                .values(
                    last_polled_at=started, last_error=_clipped(error), failures=failures, next_poll_at=due
                )
            )
        log.warning("feed %s failed (%d in a row; next try %s): %s", feed["url"], failures, _when(due), error)
        return FeedResult(str(feed["url"]), "failed", error=error, next_poll_at=due)


def _clipped(text: str) -> str:
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


def parse_feed(data: bytes, url: str, content_type: str = "") -> Any:
    """The feed in `data` (RSS or Atom) as feedparser reads it, relative links resolved
    against `url`; FeedError when it is neither."""
    import feedparser  # here: only polling needs it

    parsed = feedparser.parse(data, response_headers={"content-location": url, "content-type": content_type})
    if not parsed.get("version"):
        problem = parsed.get("bozo_exception")
        reason = f" ({problem})" if problem else ""
        raise FeedError(f"{url} is not an RSS or Atom feed{reason}")
    return parsed


def _entries(parsed: Any) -> list[tuple[str, str, str]]:
    """(key, link, title) of every entry, in reverse document order (feeds list the newest
    first, so the oldest is added first); the key is the entry's id (guid), else its link.
    Entries with neither are left out."""
    found = []
    for entry in parsed.entries:
        link = str(entry.get("link") or "").strip()
        key = str(entry.get("id") or link).strip()
        if key:
            found.append((key[:2000], link, str(entry.get("title") or "").strip()))
    return found[::-1]
