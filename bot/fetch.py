"""Fetching an article from a URL, safely: public addresses only, size and time capped.

Each hop's host is resolved once, every address it resolves to is checked,
and the connection goes to the checked address (the Host header and TLS name
stay the host's), so a DNS answer that changes between the check and the
connection (DNS rebinding) cannot reach a private address. Redirects are
followed by hand, each hop checked the same way; proxies from the environment
are not used, since a proxy would resolve the host itself.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

from bot.errors import FetchError

if TYPE_CHECKING:
    import httpx

MAX_REDIRECTS = 5
MAX_URL_CHARS = 2048


CONDITIONAL_HEADERS = ("if-none-match", "if-modified-since")


@dataclass(frozen=True)
class Fetched:
    """A download: the URL it came from in the end (after redirects), a corpus file name
    for it, its bytes, the HTTP status (200; 304 "not modified", with no bytes, only
    when the request was conditional) and the response's headers (lower-case names)."""

    url: str
    filename: str
    data: bytes
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether `address` is on the public internet (not loopback, private, link-local, reserved…)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address.is_global and not address.is_multicast


def check_address(host: str, allow_private: bool, port: int | None = None) -> str:
    """The address to connect to for `host`: resolved once, and refused unless every address it
    resolves to is public (with `allow_private`, any address)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else "not a valid host name"
        raise FetchError(f"cannot resolve {host}: {reason}") from None
    addresses = []
    for info in infos:
        try:
            addresses.append(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]))
        except ValueError:
            continue
    if not addresses:
        raise FetchError(f"cannot resolve {host}: no usable address")
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise FetchError(f"{host} resolves to a private or local address ({address}); refused")
    return str(addresses[0])


def _netloc(host: str, port: int | None) -> str:
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}" if port is not None else host


def _pinned(parts: SplitResult, address: str) -> str:
    """The URL with its host replaced by the checked address (and no user:password@)."""
    return urlunsplit((parts.scheme, _netloc(address, parts.port), parts.path or "/", parts.query, ""))


def fetch_article(
    url: str,
    max_bytes: int,
    timeout: float,
    allow_private: bool = False,
    transport: httpx.BaseTransport | None = None,
    headers: Mapping[str, str] | None = None,
) -> Fetched:
    """Download `url` (following redirects, each hop checked) within the size and time caps.

    `max_bytes`: bytes; `timeout`: seconds, bounding the whole download, redirects
    included. `transport` is httpx's (tests pass a fake one); by default, the network.
    `headers`: more request headers, e.g. If-None-Match and If-Modified-Since, in which
    case a 304 answer is returned (status 304, no bytes) rather than refused.
    Raises FetchError (a UserError) with the reason for anything but a usable answer.
    """
    import httpx  # here: only fetching needs it, and it is slow to import

    if len(url) > MAX_URL_CHARS:
        raise FetchError(f"the URL is {len(url):,} characters; the limit is {MAX_URL_CHARS:,}")
    deadline = time.monotonic() + timeout
    current = url
    extra = dict(headers or {})
    conditional = any(name.lower() in CONDITIONAL_HEADERS for name in extra)
    with httpx.Client(
        follow_redirects=False, timeout=timeout, trust_env=False, transport=transport
    ) as client:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                parts = urlsplit(current)
                port = parts.port
            except ValueError:
                raise FetchError(f"{current[:200]!r} is not a valid URL") from None
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise FetchError(f"{current[:200]!r} is not an http(s) URL")
            try:
                host = parts.hostname.encode("idna").decode("ascii")
            except UnicodeError:
                raise FetchError(f"{parts.hostname!r} is not a valid host name") from None
            address = check_address(host, allow_private, port)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchError(f"{url} took longer than {timeout:g}s")
            sent = {
                "User-Agent": "article-bot",
                **extra,
                "Host": _netloc(host, port),
                "Accept-Encoding": "identity",  # the size cap counts what is stored
            }
            extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
            try:
                with client.stream(
                    "GET", _pinned(parts, address), headers=sent, extensions=extensions, timeout=remaining
                ) as response:
                    received = {name.lower(): value for name, value in response.headers.items()}
                    if response.status_code == 304 and conditional:
                        return Fetched(current, _filename_for(current, ""), b"", 304, received)
                    if response.has_redirect_location:  # a 3xx with a Location (not a 304)
                        current = urljoin(current, response.headers["location"])
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
                    return Fetched(current, _filename_for(current, kind), bytes(body), 200, received)
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
