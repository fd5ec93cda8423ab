"""Fetching an article from a URL, safely: public addresses only, size and time capped."""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

MAX_REDIRECTS = 5


class FetchError(RuntimeError):
    """The URL cannot be fetched as an article; the message says why."""


@dataclass(frozen=True)
class Fetched:
    url: str
    filename: str
    data: bytes


def check_address(host: str, allow_private: bool) -> None:
    """Refuse hosts that resolve to loopback, private, link-local or reserved addresses."""
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host}: {exc.strerror}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
        ):
            raise FetchError(f"{host} resolves to a private or local address ({address}); refused")


def fetch_article(url: str, max_bytes: int, timeout: float, allow_private: bool = False) -> Fetched:
    """Download `url` (following redirects, each hop checked) within the size and time caps."""
    deadline = time.monotonic() + timeout
    current = url
    with httpx.Client(follow_redirects=False, timeout=timeout) as client:
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise FetchError(f"{current!r} is not an http(s) URL")
            check_address(parts.hostname, allow_private)
            try:
                with client.stream("GET", current, headers={"User-Agent": "article-bot"}) as response:
                    if response.is_redirect:
                        current = urljoin(current, response.headers.get("location", ""))
                        continue
                    if response.status_code != 200:
                        raise FetchError(f"{current} answered HTTP {response.status_code}")
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > max_bytes:
                        raise FetchError(
                            f"{current} is {int(declared):,} bytes, over the limit of {max_bytes:,}"
                        )
                    body = bytearray()
                    for block in response.iter_bytes():
                        body.extend(block)
                        if len(body) > max_bytes:
                            raise FetchError(f"{current} is over the limit of {max_bytes:,} bytes")
                        if time.monotonic() > deadline:
                            raise FetchError(f"{current} took longer than {timeout:g}s")
                    kind = response.headers.get("content-type", "")
                    return Fetched(current, _filename_for(current, kind), bytes(body))
            except httpx.TimeoutException:
                raise FetchError(f"{current} took longer than {timeout:g}s") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"cannot fetch {current}: {exc}") from None
    raise FetchError(f"{url} redirects more than {MAX_REDIRECTS} times")


def _filename_for(url: str, content_type: str) -> str:
    parts = urlsplit(url)
    stem = parts.path.rstrip("/").rsplit("/", 1)[-1] or parts.hostname or "article"
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", stem)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:80] or "article"
    if "html" in content_type or not content_type:
        suffix = ".html"
    elif "markdown" in content_type:
        suffix = ".md"
    else:
        suffix = ".txt"
    return stem + suffix
