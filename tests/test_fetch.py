"""Fetching articles from URLs: addresses checked (and connected to as checked), size and time capped.

A real HTTP server on 127.0.0.1 serves the pages. Loopback is refused by
default, so the happy paths set allow_private (the setting ALLOW_PRIVATE_URLS);
a fake resolver (socket.getaddrinfo patched in the test) makes public-looking
names resolve where a test needs them to, and a fake httpx transport stands
in for a public first hop that redirects somewhere private.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.engine import ArticleQA
from bot.errors import FetchError
from bot.fetch import MAX_REDIRECTS, fetch_article
from bot.settings import Settings
from tests.fakes import FakeEmbedder

PAGE = (
    b"<html><head><title>Bridge opens</title></head><body><article><h1>Bridge opens</h1>"
    + b"<p>The new river bridge opened to traffic on Friday after three years of work.</p>" * 3
    + b"</article></body></html>"
)
BIG = 50 * 1024 * 1024
MB = 1024 * 1024


@dataclass
class Served:
    """What the test server saw and did."""

    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Host header)
    streamed: int = 0  # bytes of /big-streamed actually sent
    finished: threading.Event = field(default_factory=threading.Event)  # /big-streamed is over
    stopping: threading.Event = field(default_factory=threading.Event)


def _handler(served: Served) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            served.requests.append((self.path, self.headers.get("Host", "")))
            parts = urlsplit(self.path)
            try:
                if parts.path == "/article":
                    self._send(200, PAGE, {"Content-Type": "text/html; charset=utf-8"})
                elif parts.path == "/redirect":
                    self._send(302, headers={"Location": parse_qs(parts.query)["to"][0]})
                elif parts.path == "/loop":
                    self._send(302, headers={"Location": "/loop"})
                elif parts.path == "/big-declared":
                    self.send_response(200)
                    self.send_header("Content-Length", str(BIG))
                    self.end_headers()
                    self.wfile.write(b"x" * 1024)
                elif parts.path == "/big-streamed":  # no Content-Length: the size shows only as it comes
                    self.send_response(200)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.close_connection = True
                    try:
                        while served.streamed < BIG:
                            self.wfile.write(b"y" * 65536)
                            served.streamed += 65536
                    finally:
                        served.finished.set()
                elif parts.path == "/slow-headers":
                    served.stopping.wait(5)
                    self._send(200, PAGE)
                elif parts.path == "/trickle":  # a byte every 0.1 s: each read is quick, the whole is not
                    self.send_response(200)
                    self.send_header("Content-Length", "100")
                    self.end_headers()
                    for _ in range(100):
                        if served.stopping.wait(0.1):
                            break
                        self.wfile.write(b"z")
                        self.wfile.flush()
                else:
                    self._send(404)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, Served]]:
    served = Served()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", served
    finally:
        served.stopping.set()
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """A fake DNS: names in the dict resolve to the listed addresses, one per lookup (the last repeats).

    Every other name (and every address literal) goes to the real resolver.
    The dict's "calls" entry lists the names looked up.
    """
    answers: dict[str, list[str]] = {"calls": []}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        answers["calls"].append(name)
        if name in answers and name != "calls":
            queue = answers[name]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            return real(address, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def test_fetches_an_article_when_private_addresses_are_allowed(server: tuple[str, Served]) -> None:
    base, served = server
    fetched = fetch_article(f"{base}/redirect?to=/article", MB, 5, allow_private=True)
    assert fetched.data == PAGE
    assert fetched.url == f"{base}/article"  # the final address, after the redirect
    assert fetched.filename == "article.html"
    assert [path for path, _ in served.requests] == ["/redirect?to=/article", "/article"]


def test_allow_private_urls_setting_lets_add_url_fetch(server: tuple[str, Served], tmp_path: Path) -> None:
    base, _ = server
    settings = Settings.from_env(
        {"CORPUS_DIR": str(tmp_path / "corpus"), "INDEX_DIR": str(tmp_path / "index")}, dotenv_path=None
    )
    core = ArticleQA(settings.core, FakeEmbedder())
    with pytest.raises(FetchError, match="private or local address"):
        core.corpus.add_url(f"{base}/article")
    assert not (tmp_path / "corpus").exists()

    allowed = Settings.from_env(
        {"ALLOW_PRIVATE_URLS": "true", "CORPUS_DIR": str(tmp_path / "corpus")}, dotenv_path=None
    )
    assert allowed.allow_private_urls is True
    path = ArticleQA(allowed.core, FakeEmbedder()).corpus.add_url(f"{base}/article")
    assert path.read_bytes() == f"---\nurl: {base}/article\n---\n".encode() + PAGE


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "2130706433",  # 127.0.0.1 as one decimal number
        "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
        "0.0.0.0",
    ],
)
def test_loopback_is_refused_by_default(server: tuple[str, Served], host: str) -> None:
    base, served = server
    port = base.rsplit(":", 1)[1]
    with pytest.raises(FetchError, match="resolves to a private or local address"):
        fetch_article(f"http://{host}:{port}/article", MB, 5)
    assert served.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
        "http://10.0.0.7/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
        "http://[fe80::1]/",
        "http://[fd00::1]/",
    ],
)
def test_private_and_link_local_addresses_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="resolves to a private or local address"):
        fetch_article(url, MB, 1)


def test_a_public_looking_name_resolving_to_loopback_is_refused(
    server: tuple[str, Served], resolver: dict[str, list[str]]
) -> None:
    base, served = server
    port = base.rsplit(":", 1)[1]
    resolver["news.example"] = ["127.0.0.1"]
    with pytest.raises(
        FetchError, match=r"news.example resolves to a private or local address \(127.0.0.1\)"
    ):
        fetch_article(f"http://news.example:{port}/article", MB, 5)
    assert served.requests == []


def test_the_connection_goes_to_the_address_that_was_checked(
    server: tuple[str, Served], resolver: dict[str, list[str]]
) -> None:
    """DNS rebinding: the name's second answer differs; it must never be asked for, or used."""
    base, served = server
    port = base.rsplit(":", 1)[1]
    resolver["news.example"] = ["127.0.0.1", "10.9.9.9"]  # first answer checked, then a different one
    fetched = fetch_article(f"http://news.example:{port}/article", MB, 5, allow_private=True)
    assert fetched.data == PAGE
    assert resolver["calls"].count("news.example") == 1
    assert served.requests == [("/article", f"news.example:{port}")]  # the Host header is the name's


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:8080/admin",
        "http://localhost/",
        "http://169.254.169.254/latest/meta-data/",
        "http://internal.example/secrets",  # resolves to 10.0.0.7 (fake DNS)
        "http://[::1]/",
    ],
)
def test_a_redirect_from_a_public_host_to_a_private_one_is_refused(
    resolver: dict[str, list[str]], target: str
) -> None:
    resolver["public.example"] = ["93.184.216.34"]
    resolver["internal.example"] = ["10.0.0.7"]
    seen: list[httpx.Request] = []

    def public_host(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": target})

    with pytest.raises(FetchError, match="resolves to a private or local address"):
        fetch_article("http://public.example/story", MB, 5, transport=httpx.MockTransport(public_host))
    assert len(seen) == 1  # the redirect was never followed
    assert seen[0].url.host == "93.184.216.34" and seen[0].headers["Host"] == "public.example"


def test_a_declared_size_over_the_limit_is_refused_before_reading(server: tuple[str, Served]) -> None:
    base, _ = server
    with pytest.raises(FetchError, match=r"is 52,428,800 bytes, over the limit of 1,048,576"):
        fetch_article(f"{base}/big-declared", MB, 5, allow_private=True)


def test_an_undeclared_size_is_cut_off_at_the_limit(server: tuple[str, Served]) -> None:
    base, served = server
    began = time.monotonic()
    with pytest.raises(FetchError, match=r"over the limit of 1,048,576 bytes"):
        fetch_article(f"{base}/big-streamed", MB, 10, allow_private=True)
    assert time.monotonic() - began < 5
    assert served.finished.wait(5)
    assert served.streamed < BIG  # the download stopped; the server could not send it all


@pytest.mark.parametrize("path", ["/slow-headers", "/trickle"])
def test_a_slow_server_is_given_up_on_in_time(server: tuple[str, Served], path: str) -> None:
    base, _ = server
    began = time.monotonic()
    with pytest.raises(FetchError, match=r"took longer than 0.5s"):
        fetch_article(f"{base}{path}", MB, 0.5, allow_private=True)
    assert time.monotonic() - began < 3


def test_redirect_loops_are_cut(server: tuple[str, Served]) -> None:
    base, served = server
    with pytest.raises(FetchError, match=f"redirects more than {MAX_REDIRECTS} times"):
        fetch_article(f"{base}/loop", MB, 5, allow_private=True)
    assert len(served.requests) == MAX_REDIRECTS + 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", r"not an http\(s\) URL"),
        ("ftp://example.com/story", r"not an http\(s\) URL"),
        ("javascript:alert(1)", r"not an http\(s\) URL"),
        ("http://", r"not an http\(s\) URL"),
        ("http://example.com:99999/", "not a valid URL"),
        ("https://example.com/" + "a" * 3000, "the URL is 3,020 characters; the limit is 2,048"),
    ],
)
def test_urls_that_cannot_be_fetched(url: str, message: str) -> None:
    with pytest.raises(FetchError, match=message):
        fetch_article(url, MB, 1)


def test_a_redirect_to_another_scheme_is_refused(server: tuple[str, Served]) -> None:
    base, _ = server
    with pytest.raises(FetchError, match="'file:///etc/passwd' is not an http"):
        fetch_article(f"{base}/redirect?to=file:///etc/passwd", MB, 5, allow_private=True)
