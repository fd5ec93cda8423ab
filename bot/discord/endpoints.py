"""Which Discord API the client talks to: discord.com, or a Discord-compatible one.

Operators set DISCORD_API_BASE and DISCORD_GATEWAY_URL to run the bot against
another API (a stand-in in tests). discord.py (2.7) has no supported way to
choose it: every REST request, webhooks and interaction callbacks included, is
built from the class attribute `discord.http.Route.BASE`, and a plain `Client`
(or an `AutoShardedClient` given a shard count) dials the class attribute
`DiscordWebSocket.DEFAULT_GATEWAY`. Its supported hooks cannot do it: a
`connector` or `proxy` cannot change a URL's path, an `http_trace` only
observes, and interaction callbacks bypass `HTTPClient.request` through the
client's private aiohttp session. (An `AutoShardedClient` without a shard count
asks `GET /gateway/bot` for the gateway, which the other API answers itself.)

So `ApiEndpoints.in_use()` is the one place in the project that sets discord.py's
globals: the bot enters it at login and leaves it at close, and leaving puts
back what was there. The setting is process-wide: one process talks to one
Discord API at a time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.errors import SettingsError
from bot.settings import Settings


@dataclass(frozen=True)
class ApiEndpoints:
    """The REST API base and the gateway URL to use instead of Discord's ("" keeps Discord's)."""

    api_base: str = ""  # e.g. http://127.0.0.1:8080/api/v10; "" keeps discord.com
    gateway_url: str = ""  # e.g. ws://127.0.0.1:8080/gateway; "" keeps gateway.discord.gg

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiEndpoints:
        """The endpoints in `settings`; raises SettingsError naming a setting that is not a URL."""
        endpoints = cls(settings.discord_api_base.rstrip("/"), settings.discord_gateway_url)
        endpoints.validate()
        return endpoints

    def validate(self) -> None:
        """Raises SettingsError unless the API base is an http(s) URL and the gateway a ws(s) one."""
        if self.api_base:
            parts = urlsplit(self.api_base)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise SettingsError(
                    "DISCORD_API_BASE must be an http(s) URL, e.g. http://127.0.0.1:8080/api/v10"
                )
        if self.gateway_url:
            parts = urlsplit(self.gateway_url)
            if parts.scheme not in ("ws", "wss") or not parts.netloc:
                raise SettingsError(
                    "DISCORD_GATEWAY_URL must be a ws(s) URL, e.g. ws://127.0.0.1:8080/gateway"
                )

    @contextlib.contextmanager
    def in_use(self) -> Iterator[None]:
        """discord.py pointed at these endpoints until the block ends (the defaults: unchanged)."""
        if not (self.api_base or self.gateway_url):
            yield
            return
        saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        if self.api_base:
            Route.BASE = self.api_base
        if self.gateway_url:
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
