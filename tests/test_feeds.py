"""Following news feeds (bot/feeds.py) against a news site on 127.0.0.1 (tests/feedserver.py):
RSS and Atom, a feed that changes, one that answers 304, one that times out, one that is
not XML, entries already in the corpus, a poll killed half-way, the poll lease, the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from bot import cli
from bot.corpus import CorpusFolder
from bot.db import Database, schema, sqlite_url
from bot.engine import ArticleQA
from bot.errors import FeedError
from bot.feeds import (
    FAILED,
    LEASE_SECONDS,
    POLL_LEASE,
    EntryResult,
    FeedList,
    FeedPoller,
    FeedResult,
    PollReport,
    backoff,
    holder_gone,
    lease_holder,
)
from bot.index import IndexStore
from bot.settings import Settings
from tests.fakes import FakeEmbedder
from tests.feedserver import (
    HARBOUR,
    LAST_MODIFIED,
    LIGHTHOUSE,
    FeedServer,
    article_page,
    atom,
    feed_server,
    rss,
    serve_coast_news,
)

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
INTERVAL = timedelta(minutes=30)  # FEED_POLL_MINUTES in these tests

BRIDGE = article_page(
    "River bridge opens to traffic",
    "The new river bridge at Kelso opened to traffic on Friday after three years of building work.",
    "The steel arch spans 120 metres and carries two lanes of traffic and a wide cycle path.",
    "Drivers crossing it save a detour of twenty minutes through the town centre, the council said.",
)
MARKET = article_page(
    "Farmers' market moves indoors",
    "The Saturday farmers' market moved into the old corn exchange for the winter months.",
    "Twenty-six stalls sell cheese, bread, apples and smoked fish from the surrounding farms.",
    "The organisers hope to keep the market indoors until the clocks go forward in March.",
)


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with feed_server() as server:
        yield server


@pytest.fixture
def feed_settings(settings: Settings) -> Settings:
    return settings.with_overrides(allow_private_urls=True, url_timeout_seconds=2.0)


@pytest.fixture
def core(feed_settings: Settings, fake_embedder: FakeEmbedder) -> ArticleQA:
    qa = ArticleQA(feed_settings.core, fake_embedder)
    qa.open()
    return qa


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(sqlite_url(tmp_path / "bot.db"))
    yield database
    database.close()


def poll(
    core: ArticleQA,
    db: Database,
    clock: Callable[[], datetime] = lambda: T0,
    corpus: CorpusFolder | None = None,
    holder: str = "test",
    every: bool = True,
    force: bool = False,
) -> PollReport:
    poller = FeedPoller(db, corpus or core.corpus, INTERVAL.total_seconds() / 60, holder, clock)
    return poller.poll_and_reindex(core.snapshot, core.reindex, every=every, force=force)


def entries(db: Database) -> list[tuple[str, str, str | None, str | None]]:
    """(entry key, status, article, error) of every entry recorded, in the order seen."""
    table = schema.feed_entries
    with db.begin() as connection:
        rows = connection.execute(
            sa.select(table.c.entry_key, table.c.status, table.c.article, table.c.error).order_by(table.c.id)
        ).all()
    return [(str(k), str(s), a, e) for k, s, a, e in rows]


def feed_row(db: Database, url: str) -> dict[str, Any]:
    with db.begin() as connection:
        row = connection.execute(sa.select(schema.feeds).where(schema.feeds.c.url == url)).mappings().one()
    return dict(row)


# ---- following ---------------------------------------------------------------------


def test_feeds_are_added_listed_and_removed(database: Database) -> None:
    feeds = FeedList(database)
    assert feeds.all() == [] and feeds.status_line() == "none followed"
    feed = feeds.add("  https://news.example.com/rss.xml ")
    assert feed.url == "https://news.example.com/rss.xml" and feed.failures == 0 and feed.added == 0
    feeds.add("https://news.example.com/atom.xml")
    assert [f.url for f in feeds.all()] == [
        "https://news.example.com/rss.xml",
        "https://news.example.com/atom.xml",
    ]
    assert (
        feeds.all()[0].describe()
        == "https://news.example.com/rss.xml: not polled yet; entries: 0 added, 0 duplicate, 0 failed"
    )
    assert feeds.status_line() == "2 followed, 0 failing"
    with pytest.raises(FeedError, match=r"^https://news.example.com/rss.xml is followed already$"):
        feeds.add("https://news.example.com/rss.xml")
    for spelling in ("HTTPS://News.Example.COM/rss.xml", " https://news.example.com/rss.xml#latest "):
        with pytest.raises(FeedError, match=r"^https://news.example.com/rss.xml is followed already$"):
            feeds.add(spelling)  # the same feed, written another way
    with pytest.raises(FeedError, match=r"^'ftp://news.example.com/rss' is not an http\(s\) URL$"):
        feeds.add("ftp://news.example.com/rss")
    with pytest.raises(FeedError, match=r"^'news' is not an http\(s\) URL$"):
        feeds.add("news")
    assert feeds.remove("https://NEWS.example.com/rss.xml").url == "https://news.example.com/rss.xml"
    assert [f.url for f in feeds.all()] == ["https://news.example.com/atom.xml"]
    with pytest.raises(FeedError, match=r"is not followed; `feeds list` shows the feeds followed$"):
        feeds.remove("https://news.example.com/rss.xml")
    with pytest.raises(FeedError, match=r"^'' is not an http\(s\) URL$"):
        feeds.remove("  ")


def test_backoff_doubles_up_to_a_day() -> None:
    assert [backoff(n, INTERVAL) for n in (1, 2, 3)] == [INTERVAL * 2, INTERVAL * 4, INTERVAL * 8]
    assert backoff(6, INTERVAL) == timedelta(days=1) and backoff(500, INTERVAL) == timedelta(days=1)


# ---- polling -----------------------------------------------------------------------


def test_rss_and_atom_entries_are_added_indexed_and_answered(
    site: FeedServer, core: ArticleQA, database: Database, corpus: Path
) -> None:
    rss_url = serve_coast_news(site)
    bridge = site.serve("/articles/bridge.html", BRIDGE)
    atom_url = site.serve("/atom.xml", atom("River news", [("urn:river:1", bridge, "Bridge opens")]),
                          "application/atom+xml")  # fmt: skip
    feeds = FeedList(database)
    feeds.add(rss_url)
    feeds.add(atom_url)

    report = poll(core, database)
    assert report.added == ["harbour.html", "lighthouse.html", "bridge.html"]  # oldest entry first
    assert sorted(p.name for p in corpus.iterdir()) == [
        "bridge.html", "china-first-woman-spacewalk.txt", "harbour.html", "lighthouse.html",
    ]  # fmt: skip
    assert (
        corpus / "harbour.html"
    ).read_bytes() == f"---\nurl: {site.url('/articles/harbour.html')}\n---\n".encode() + HARBOUR
    assert report.reindex is not None and sorted(report.reindex.added) == ["bridge", "harbour", "lighthouse"]
    assert core.snapshot.article("harbour") is not None  # swapped in, no restart
    answer = core.ask("When did the Port Ellen harbour reopen after the storm?")
    assert not answer.abstained and answer.citations[0].article == "harbour"
    assert "reopened on Monday" in answer.text
    assert entries(database) == [
        ("coast-1", "added", "harbour.html", None),
        ("coast-2", "added", "lighthouse.html", None),
        ("urn:river:1", "added", "bridge.html", None),
    ]
    listed = {f.url: f for f in feeds.all()}
    assert listed[rss_url].title == "Coast news" and listed[atom_url].title == "River news"
    assert (listed[rss_url].added, listed[atom_url].added, listed[rss_url].last_ok_at) == (2, 1, T0)
    assert (
        listed[rss_url].describe()
        == f'{rss_url} "Coast news": ok, polled 2026-12-01 09:00 UTC; entries: 2 added, 0 duplicate, 0 failed'
    )
    assert report.lines()[:2] == [
        f"{rss_url}: 2 added (harbour.html, lighthouse.html), 0 already in the corpus, 0 failed",
        f"{atom_url}: 1 added (bridge.html), 0 already in the corpus, 0 failed",
    ]

    pages_fetched = len(site.requested("/articles/"))
    again = poll(core, database)
    assert again.added == [] and again.reindex is None
    assert len(site.requested("/articles/")) == pages_fetched  # entries seen are not fetched again
    assert again.lines() == [
        f"{rss_url}: 0 added, 0 already in the corpus, 0 failed",
        f"{atom_url}: 0 added, 0 already in the corpus, 0 failed",
    ]


def test_a_feed_that_changes_between_polls(
    site: FeedServer, core: ArticleQA, db: Database, corpus: Path
) -> None:
    site.serve("/articles/harbour.html", HARBOUR)
    site.serve("/articles/market.html", MARKET)
    harbour = ("coast-1", site.url("/articles/harbour.html"), "Harbour reopens")
    url = site.serve("/news.xml", rss("Coast news", [harbour]), "application/rss+xml")
    FeedList(db).add(url)
    assert poll(core, db).added == ["harbour.html"]

    market = ("coast-3", site.url("/articles/market.html"), "Market moves indoors")
    site.serve("/news.xml", rss("Coast news", [market, harbour]), "application/rss+xml")
    report = poll(core, db, clock=lambda: T0 + INTERVAL)
    assert report.added == ["market.html"]
    assert [path for path, _ in site.requested("/articles/")] == [
        "/articles/harbour.html",
        "/articles/market.html",
    ]
    assert core.snapshot.article("market") is not None and core.snapshot.article("harbour") is not None
    assert [e[:2] for e in entries(db)] == [("coast-1", "added"), ("coast-3", "added")]


def test_a_feed_answering_304_to_conditional_requests(
    site: FeedServer, core: ArticleQA, db: Database
) -> None:
    site.serve("/articles/harbour.html", HARBOUR)
    items = [("coast-1", site.url("/articles/harbour.html"), "Harbour")]
    url = site.serve("/conditional.xml", rss("Coast news", items), "application/rss+xml", etag='"v1"')
    FeedList(db).add(url)
    first = poll(core, db)
    assert first.added == ["harbour.html"]
    row = feed_row(db, url)
    assert (row["etag"], row["last_modified"]) == ('"v1"', LAST_MODIFIED)
    assert "if-none-match" not in site.requested("/conditional.xml")[0][1]

    second = poll(core, db, clock=lambda: T0 + INTERVAL)
    _, headers = site.requested("/conditional.xml")[-1]
    assert headers["if-none-match"] == '"v1"' and headers["if-modified-since"] == LAST_MODIFIED
    assert second.feeds[0].outcome == "not modified" and second.lines() == [f"{url}: not modified"]
    assert second.added == [] and second.reindex is None
    row = feed_row(db, url)
    assert row["last_ok_at"] == T0 + INTERVAL and row["failures"] == 0 and row["etag"] == '"v1"'


def test_an_unchanged_feed_tries_its_failed_entries_again(
    site: FeedServer, core: ArticleQA, db: Database
) -> None:
    site.serve("/articles/harbour.html", HARBOUR)
    down = site.url("/articles/down.html")  # not served yet: 404
    items = [("coast-2", down, "Down for now"), ("coast-1", site.url("/articles/harbour.html"), "Harbour")]
    url = site.serve("/conditional.xml", rss("Coast news", items), "application/rss+xml", etag='"v1"')
    FeedList(db).add(url)
    assert poll(core, db).added == ["harbour.html"]
    assert entries(db)[1] == ("coast-2", "failed", None, f"{down} answered HTTP 404")

    site.serve("/articles/down.html", BRIDGE)  # back, while the feed itself is unchanged
    again = poll(core, db, clock=lambda: T0 + INTERVAL)
    assert again.feeds[0].outcome == "not modified" and again.added == ["down.html"]
    assert again.lines()[0] == f"{url}: 1 added (down.html), 0 already in the corpus, 0 failed"
    assert entries(db)[1] == ("coast-2", "added", "down.html", None)
    assert again.reindex is not None and core.snapshot.article("down") is not None
    assert poll(core, db, clock=lambda: T0 + 2 * INTERVAL).lines() == [f"{url}: not modified"]


def test_a_feed_that_times_out_backs_off_and_shows_its_error(
    site: FeedServer, core: ArticleQA, db: Database, feed_settings: Settings, fake_embedder: FakeEmbedder
) -> None:
    quick = feed_settings.with_overrides(url_timeout_seconds=0.3)
    core = ArticleQA(quick.core, fake_embedder)
    core.open()
    url = site.serve("/slow.xml", rss("Slow news", []), "application/rss+xml", delay=3.0)
    feeds = FeedList(db)
    feeds.add(url)
    report = poll(core, db)
    assert report.feeds[0].outcome == "failed"
    assert report.feeds[0].error == f"{url} took longer than 0.3s"
    row = feed_row(db, url)
    assert row["failures"] == 1 and row["next_poll_at"] == T0 + 2 * INTERVAL and row["last_ok_at"] is None
    assert row["last_error"] == f"{url} took longer than 0.3s"
    feed = feeds.all()[0]
    assert feed.describe() == (
        f"{url}: FAILING (1 in a row; next try 2026-12-01 10:00 UTC): {url} took longer than 0.3s; "
        "entries: 0 added, 0 duplicate, 0 failed"
    )
    assert feeds.status_line() == f"1 followed, 1 failing (last error: {url}: {url} took longer than 0.3s)"


def test_a_feed_that_is_not_xml_fails_clearly_and_backs_off_until_it_recovers(
    site: FeedServer, core: ArticleQA, db: Database
) -> None:
    url = site.serve("/not-a-feed", b"Hello! This page is plain text, not a news feed.", "text/plain")
    FeedList(db).add(url)
    report = poll(core, db)
    error = report.feeds[0].error or ""
    assert error.startswith(f"{url} is not an RSS or Atom feed (") and report.added == []
    assert report.lines() == [f"{url}: failed: {error}; next try 2026-12-01 10:00 UTC"]
    assert feed_row(db, url)["next_poll_at"] == T0 + 2 * INTERVAL

    # Backing off: the next polls leave it alone, `every` too; `force` tries it, and the wait doubles.
    later = T0 + INTERVAL
    waiting = poll(core, db, clock=lambda: later)
    assert waiting.lines() == [f"{url}: backing off after failures; next try 2026-12-01 10:00 UTC"]
    assert len(site.requested("/not-a-feed")) == 1
    poll(core, db, clock=lambda: later, force=True)
    row = feed_row(db, url)
    assert row["failures"] == 2 and row["next_poll_at"] == later + 4 * INTERVAL

    site.serve("/articles/harbour.html", HARBOUR)
    site.serve("/not-a-feed", rss("Coast news", [("c1", site.url("/articles/harbour.html"), "Harbour")]),
               "application/rss+xml")  # fmt: skip
    recovered = poll(core, db, clock=lambda: later + 4 * INTERVAL)  # due again
    assert recovered.added == ["harbour.html"]
    row = feed_row(db, url)
    assert (row["failures"], row["last_error"]) == (0, None)
    assert FeedList(db).status_line() == "1 followed, 0 failing"


def test_a_failed_entry_without_a_link_is_named_by_its_title() -> None:
    # It read "failed: : the entry has no link".
    result = FeedResult("https://news.example/rss.xml", "read")
    result.entries.append(EntryResult("", "Lighthouse relit", FAILED, error="the entry has no link"))
    result.entries.append(EntryResult("", "", FAILED, error="the entry has no link"))
    assert result.line().splitlines()[1:] == [
        '  failed: "Lighthouse relit": the entry has no link',
        "  failed: an entry without a link or title: the entry has no link",
    ]


def test_a_feed_polled_within_its_interval_is_not_due(
    site: FeedServer, core: ArticleQA, db: Database
) -> None:
    url = serve_coast_news(site)
    FeedList(db).add(url)
    poll(core, db, every=False)  # never polled: due
    assert len(site.requested("/rss.xml")) == 1
    report = poll(core, db, clock=lambda: T0 + timedelta(minutes=10), every=False)
    assert report.lines() == [f"{url}: not due until 2026-12-01 09:29 UTC"]
    assert len(site.requested("/rss.xml")) == 1
    poll(core, db, clock=lambda: T0 + INTERVAL, every=False)  # the bot's next wake-up
    assert len(site.requested("/rss.xml")) == 2


def test_failing_and_duplicate_entries_do_not_stop_the_others(
    site: FeedServer, core: ArticleQA, db: Database, corpus: Path
) -> None:
    site.serve("/articles/harbour.html", HARBOUR)
    site.serve("/articles/bridge.html", BRIDGE)
    site.serve("/articles/bridge-copy.html", BRIDGE)  # the same text at another address
    site.serve("/articles/market.html", MARKET)
    core.corpus.add_url(site.url("/articles/harbour.html"))  # an operator added it with `add URL`
    items = [
        ("e5", site.url("/articles/market.html"), "Market"),
        ("e4", site.url("/articles/bridge-copy.html"), "Bridge again"),
        ("e3", site.url("/articles/gone.html"), "Gone"),
        ("e2", site.url("/articles/bridge.html"), "Bridge"),
        ("e1", site.url("/articles/harbour.html"), "Harbour"),
    ]
    url = site.serve("/rss.xml", rss("News", items), "application/rss+xml")
    FeedList(db).add(url)
    report = poll(core, db)
    gone = site.url("/articles/gone.html")
    assert entries(db) == [
        ("e1", "duplicate", "harbour.html", None),
        ("e2", "added", "bridge.html", None),
        ("e3", "failed", None, f"{gone} answered HTTP 404"),
        ("e4", "duplicate", "bridge.html", None),
        ("e5", "added", "market.html", None),
    ]
    assert report.lines()[0] == (
        f"{url}: 2 added (bridge.html, market.html), 2 already in the corpus, 1 failed\n"
        f"  failed: {gone}: {gone} answered HTTP 404"
    )
    assert sorted(p.name for p in corpus.iterdir()) == [
        "bridge.html", "china-first-woman-spacewalk.txt", "harbour.html", "market.html",
    ]  # fmt: skip
    assert FeedList(db).all()[0].describe().endswith("entries: 2 added, 2 duplicate, 1 failed")

    # A failed entry is tried again when the feed is read again.
    site.serve("/articles/gone.html", LIGHTHOUSE)
    assert poll(core, db, clock=lambda: T0 + INTERVAL).added == ["gone.html"]
    assert entries(db)[2] == ("e3", "added", "gone.html", None)


def test_pages_of_the_same_name_are_both_kept(
    site: FeedServer, core: ArticleQA, db: Database, corpus: Path
) -> None:
    site.serve("/2026/01/index.html", HARBOUR)
    site.serve("/2026/02/index.html", MARKET)
    items = [
        ("b", site.url("/2026/02/index.html"), "Market"),
        ("a", site.url("/2026/01/index.html"), "Harbour"),
    ]
    FeedList(db).add(site.serve("/rss.xml", rss("News", items), "application/rss+xml"))
    assert poll(core, db).added == ["index.html", "index-2.html"]
    assert (
        b"Port Ellen" in (corpus / "index.html").read_bytes()
        and b"corn exchange" in (corpus / "index-2.html").read_bytes()
    )


class KilledAfterWriting(CorpusFolder):
    """The corpus of a bot killed the moment an article file is written (before recording it)."""

    def add_bytes(self, filename: str, data: bytes, replace: bool = False) -> Path:
        super().add_bytes(filename, data, replace)
        raise KeyboardInterrupt("killed")


HARBOUR_TEXT = b"Harbour reopens\n\nThe Port Ellen harbour reopened on Monday after the winter storm.\n"


@pytest.mark.parametrize("kind", ["html", "txt"])  # a page keeps its URL in the corpus; a text file does not
def test_a_poll_killed_mid_way_loses_no_entry_and_adds_none_twice(
    site: FeedServer, core: ArticleQA, db: Database, corpus: Path, feed_settings: Settings, kind: str
) -> None:
    url = serve_coast_news(site)
    if kind == "txt":
        site.serve("/articles/harbour.html", HARBOUR_TEXT, "text/plain; charset=utf-8")
    harbour = "harbour.html" if kind == "html" else "harbour.txt"
    FeedList(db).add(url)
    with pytest.raises(KeyboardInterrupt):
        poll(core, db, corpus=KilledAfterWriting(feed_settings.core), holder="the killed bot")
    # The first page is in the corpus, its entry not done; the feed's validators not stored.
    assert sorted(p.name for p in corpus.iterdir()) == ["china-first-woman-spacewalk.txt", harbour]
    assert entries(db) == [("coast-1", "pending", None, None)]
    assert core.snapshot.article("harbour") is None

    report = poll(core, db, holder="the restarted bot")
    assert entries(db) == [("coast-1", "added", harbour, None), ("coast-2", "added", "lighthouse.html", None)]
    assert sorted(p.name for p in corpus.iterdir()) == [
        "china-first-woman-spacewalk.txt",
        harbour,
        "lighthouse.html",
    ]
    assert report.reindex is not None and sorted(report.reindex.added) == ["harbour", "lighthouse"]
    assert sorted(r.id for r in core.snapshot.articles) == [
        "china-first-woman-spacewalk",
        "harbour",
        "lighthouse",
    ]
    assert core.snapshot.duplicates == {}


def test_a_poll_killed_before_its_reindex_is_indexed_at_the_next_poll(
    site: FeedServer, core: ArticleQA, db: Database
) -> None:
    FeedList(db).add(serve_coast_news(site))
    killed = FeedPoller(db, core.corpus, INTERVAL.total_seconds() / 60, "the killed bot", lambda: T0)
    assert killed.poll(core.snapshot).added == ["harbour.html", "lighthouse.html"]  # then no reindex
    assert core.snapshot.article("harbour") is None

    report = poll(core, db, clock=lambda: T0 + INTERVAL)
    assert report.added == [] and report.unindexed == ["harbour.html", "lighthouse.html"]
    assert report.reindex is not None and sorted(report.reindex.added) == ["harbour", "lighthouse"]
    assert [path for path, _ in site.requested("/articles/")] == [
        "/articles/harbour.html",
        "/articles/lighthouse.html",
    ]


def test_an_entry_whose_text_is_in_the_corpus_is_not_added(
    site: FeedServer, core: ArticleQA, db: Database, corpus: Path
) -> None:
    """A plain-text page keeps no URL in the corpus: its text is recognised instead."""
    page = site.serve("/articles/harbour.txt", HARBOUR_TEXT, "text/plain; charset=utf-8")
    (corpus / "port-ellen.txt").write_bytes(HARBOUR_TEXT)  # an operator's copy, not indexed yet
    FeedList(db).add(site.serve("/rss.xml", rss("News", [("h", page, "Harbour")]), "application/rss+xml"))
    report = poll(core, db)
    assert entries(db) == [("h", "duplicate", "port-ellen.txt", None)]
    assert sorted(p.name for p in corpus.iterdir()) == ["china-first-woman-spacewalk.txt", "port-ellen.txt"]
    assert report.reindex is None  # nothing of the feeds' to index
    assert report.lines() == [f"{site.url('/rss.xml')}: 0 added, 1 already in the corpus, 0 failed"]


def test_only_one_process_polls_at_a_time(site: FeedServer, core: ArticleQA, db: Database) -> None:
    FeedList(db).add(serve_coast_news(site))
    assert db.acquire_lease(POLL_LEASE, "shard 1 on host-b", LEASE_SECONDS)
    report = poll(core, db, holder="shard 0 on host-a")
    assert report.busy == "shard 1 on host-b" and report.feeds == [] and report.reindex is None
    assert report.lines() == ["another process is polling the feeds (shard 1 on host-b); nothing done"]
    assert site.requests == []
    db.release_lease(POLL_LEASE, "shard 1 on host-b")
    assert poll(core, db, holder="shard 0 on host-a").added == ["harbour.html", "lighthouse.html"]
    assert db.acquire_lease(POLL_LEASE, "shard 1 on host-b", LEASE_SECONDS)  # released after the poll


# ---- the command line ----------------------------------------------------------------


def test_the_feeds_commands(
    site: FeedServer, tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the project folder
    for name, value in {
        "CORPUS_DIR": str(corpus), "INDEX_DIR": str(tmp_path / "index"), "ALLOW_PRIVATE_URLS": "1",
        "DATABASE_URL": sqlite_url(tmp_path / "data" / "bot.db"), "FEED_POLL_MINUTES": "15",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    runtime = cli.Runtime(embedder_factory=lambda model: FakeEmbedder(name=model))

    def run(*argv: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(cli.cli, ["feeds", *argv], obj=runtime, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    url = serve_coast_news(site)
    assert run("list") == (0, "no feeds followed; add one with `python -m bot feeds add URL`\n", "")
    assert run("add", url) == (
        0, f"following {url}; its entries are added at the next poll (`feeds poll` now, or the Discord "
        "bot every 15 minutes)\n", "",
    )  # fmt: skip
    assert run("add", url) == (1, "", f"error: {url} is followed already\n")
    assert run("add", "file:///etc/passwd") == (1, "", "error: 'file:///etc/passwd' is not an http(s) URL\n")
    code, out, _ = run("poll")
    lines = out.splitlines()
    assert (
        code == 0
        and lines[0] == f"{url}: 2 added (harbour.html, lighthouse.html), 0 already in the corpus, 0 failed"
    )
    assert lines[1].startswith("reindex: ") and len(lines) == 2
    code, out, _ = run("poll")  # every feed, now
    assert (code, out) == (0, f"{url}: 0 added, 0 already in the corpus, 0 failed\n")
    code, out, _ = run("list")
    assert code == 0 and out.startswith(f'{url} "Coast news": ok, polled ')
    assert out.endswith("; entries: 2 added, 0 duplicate, 0 failed\n")
    broken = site.url("/missing.xml")  # answers 404: cron learns of it from the exit code
    run("add", broken)
    code, out, _ = run("poll")
    assert code == 1 and f"{broken}: failed: {broken} answered HTTP 404" in out
    run("remove", broken)
    assert run("remove", url) == (
        0,
        f"stopped following {url}; the 2 articles it added stay in the corpus\n",
        "",
    )
    assert run("remove", url)[2] == f"error: {url} is not followed; `feeds list` shows the feeds followed\n"
    assert (corpus / "lighthouse.html").is_file()


# ---- a real kill -----------------------------------------------------------------------------

# `python -m bot …` with the fake embedder in place of the model (as tests/discord/test_client.py).
_RUN_WITH_FAKE_MODEL = """
import sys
from bot import cli
from tests.fakes import FakeEmbedder

sys.exit(cli.main(sys.argv[1:], cli.Runtime(embedder_factory=lambda model: FakeEmbedder())))
"""

TOWNS = ["Ardmore", "Balintore", "Carradale", "Dornoch", "Elgol", "Findhorn"]


def _bot(tmp_path: Path, corpus: Path, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "DISCORD_TOKEN": "",
        "ALLOW_PRIVATE_URLS": "true",
        "DATABASE_URL": sqlite_url(tmp_path / "bot.db"),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-c", _RUN_WITH_FAKE_MODEL, *args, "--corpus", str(corpus), "--index",
         str(tmp_path / "index")],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_a_poll_killed_with_sigkill_while_fetching_loses_no_entry_and_indexes_none_twice(
    site: FeedServer, tmp_path: Path, corpus: Path
) -> None:
    """`feeds poll` killed (SIGKILL) after two entries were added, while the third page is
    being fetched; the next `feeds poll` (a new process, at once) completes the feed."""
    items = []
    for n, town in enumerate(TOWNS):
        page = article_page(
            f"{town} pier reopens",
            f"The {town} pier reopened on Monday after {n + 2} weeks of repairs to its timbers.",
            f"Boats from {town} landed the season's first catch within the hour, the harbour master said.",
        )
        items.append((f"pier-{n}", site.serve(f"/articles/{town.lower()}.html", page, delay=1.5), f"{town}"))
    url = site.serve("/rss.xml", rss("Piers", items), "application/rss+xml")
    added = _bot(tmp_path, corpus, "feeds", "add", url)
    assert added.wait(120) == 0, added.communicate()

    killed = _bot(tmp_path, corpus, "feeds", "poll")
    deadline = time.monotonic() + 120
    while len(site.requested("/articles/")) < 3:  # two pages fetched, the third one asked for
        assert killed.poll() is None and time.monotonic() < deadline, killed.communicate()
        time.sleep(0.05)
    time.sleep(0.3)  # the third page is being answered (1.5 s)
    killed.send_signal(signal.SIGKILL)
    killed.wait(30)
    # The feed lists the newest first and the oldest is added first: the last two were added.
    written = sorted(p.name for p in corpus.iterdir())
    assert written == ["china-first-woman-spacewalk.txt", "elgol.html", "findhorn.html"]

    restarted = _bot(tmp_path, corpus, "feeds", "poll")
    stdout, stderr = restarted.communicate(timeout=300)
    assert restarted.returncode == 0, (stdout, stderr)
    # The lease of the killed process (on this host, gone) is taken over at once; the page
    # being fetched when it was killed is fetched again; the two added before are not.
    rest = "dornoch.html, carradale.html, balintore.html, ardmore.html"
    assert f"{url}: 4 added ({rest}), 0 already in the corpus, 0 failed" in stdout

    db = Database(sqlite_url(tmp_path / "bot.db"))
    try:
        assert sorted(entries(db)) == [
            (f"pier-{n}", "added", f"{town.lower()}.html", None) for n, town in enumerate(TOWNS)
        ]
    finally:
        db.close()
    names = sorted(p.name for p in corpus.iterdir())
    assert names == sorted([f"{town.lower()}.html" for town in TOWNS] + ["china-first-woman-spacewalk.txt"])
    texts = [p.read_bytes() for p in corpus.iterdir()]
    for town in TOWNS:
        assert sum(f"The {town} pier reopened".encode() in text for text in texts) == 1
    snapshot = IndexStore(tmp_path / "index", None).load()
    assert sorted(r.id for r in snapshot.articles) == sorted(
        [town.lower() for town in TOWNS] + ["china-first-woman-spacewalk"]
    )
    assert snapshot.duplicates == {}
    listed = _bot(tmp_path, corpus, "list")
    stdout, _ = listed.communicate(timeout=120)
    for town in TOWNS:
        assert stdout.count(f"{town} pier reopens") == 1


def test_a_lease_of_a_process_gone_from_this_host_is_taken_over_at_once(
    site: FeedServer, core: ArticleQA, db: Database
) -> None:
    FeedList(db).add(serve_coast_news(site))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = lease_holder("`feeds poll`").replace(f"pid {os.getpid()}", f"pid {gone.pid}")
    assert holder_gone(dead) and not holder_gone(lease_holder("bot"))
    assert not holder_gone("shard 1 on host-b")  # another host, or a name without a PID: wait
    assert db.acquire_lease(POLL_LEASE, dead, LEASE_SECONDS)
    assert poll(core, db, holder=lease_holder("`feeds poll`")).added == ["harbour.html", "lighthouse.html"]
