"""A news site on 127.0.0.1 for the feed tests: RSS and Atom feeds and the article pages
they link to, each path's answer set by the test (bytes, a delay, an ETag), and every
request recorded with its headers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

LAST_MODIFIED = "Wed, 02 Dec 2026 10:00:00 GMT"


def article_page(title: str, *paragraphs: str) -> bytes:
    """A news page trafilatura reads as `title` and `paragraphs`."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{escape(title)}</title></head><body><article><h1>{escape(title)}</h1>"
        f"{body}</article></body></html>"
    ).encode()


def rss(title: str, items: list[tuple[str, str, str]]) -> bytes:
    """An RSS 2.0 document; `items`: (guid, link, title), newest first."""
    body = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link>"
        f'<guid isPermaLink="false">{escape(guid)}</guid></item>'
        for guid, link, t in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://example.invalid/</link>"
        f"<description>news</description>{body}</channel></rss>"
    ).encode()


def atom(title: str, entries: list[tuple[str, str, str]]) -> bytes:
    """An Atom document; `entries`: (id, link, title), newest first."""
    body = "".join(
        f'<entry><id>{escape(entry_id)}</id><title>{escape(t)}</title><link href="{escape(link)}"/>'
        "<updated>2026-12-01T10:00:00Z</updated></entry>"
        for entry_id, link, t in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:test:feed</id><updated>2026-12-01T10:00:00Z</updated>"
        f"{body}</feed>"
    ).encode()


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0  # seconds before answering
    etag: str | None = None  # sent with Last-Modified; a request that matches either gets 304


@dataclass
class FeedServer:
    """The site: `pages` by path; `requests` as (path, headers with lower-case names)."""

    base: str = ""
    pages: dict[str, Page] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return self.base + path

    def serve(
        self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8", **options: Any
    ) -> str:
        """Serve `body` at `path` (replacing what was there); its URL."""
        self.pages[path] = Page(body, content_type, **options)
        return self.url(path)

    def requested(self, prefix: str) -> list[tuple[str, dict[str, str]]]:
        return [r for r in self.requests if r[0].startswith(prefix)]


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.requests.append((self.path, headers))
            page = server.pages.get(self.path)
            if page is None:
                self._send(404, b"not found", "text/plain")
                return
            if page.delay:
                server.stopping.wait(page.delay)
            extra = {}
            if page.etag is not None:
                extra = {"ETag": page.etag, "Last-Modified": LAST_MODIFIED}
                if (
                    headers.get("if-none-match") == page.etag
                    or headers.get("if-modified-since") == LAST_MODIFIED
                ):
                    self._send(304, b"", None, extra)
                    return
            self._send(200, page.body, page.content_type, extra)

        def _send(
            self, status: int, body: bytes, content_type: str | None, extra: dict[str, str] | None = None
        ) -> None:
            try:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                pass

    return Handler


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    """A running FeedServer on a free port of 127.0.0.1, stopped on leaving."""
    site = FeedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    httpd.daemon_threads = True
    site.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.stopping.set()  # a delayed answer gives up waiting
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


HARBOUR = article_page(
    "Harbour reopens after the storm",
    "The Port Ellen harbour reopened on Monday after the winter storm damaged its northern pier.",
    "Fishing boats returned within hours, and the ferry to the mainland sailed again on Tuesday.",
    "Repairs to the pier cost 2.4 million pounds, the harbour master told reporters at the quay.",
)
LIGHTHOUSE = article_page(
    "Lighthouse restored by volunteers",
    "The Old Point lighthouse was restored by 40 volunteers over two summers of weekend work.",
    "Its lamp, dark since 1987, was lit again on Saturday in front of a crowd of villagers.",
    "The volunteers raised the money for the new lens through a village fair and a book sale.",
)


def serve_coast_news(site: FeedServer) -> str:
    """An RSS feed of two entries (harbour, then lighthouse, newest first); its URL."""
    site.serve("/articles/harbour.html", HARBOUR)
    site.serve("/articles/lighthouse.html", LIGHTHOUSE)
    items = [
        ("coast-2", site.url("/articles/lighthouse.html"), "Lighthouse restored"),
        ("coast-1", site.url("/articles/harbour.html"), "Harbour reopens"),
    ]
    return site.serve("/rss.xml", rss("Coast news", items), "application/rss+xml")
