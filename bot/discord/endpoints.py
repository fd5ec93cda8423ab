"""Which Discord API the client talks to: discord.com, or another one (a stand-in for tests).

discord.py takes both addresses from class attributes, not from constructor
arguments: every REST request (webhooks and interaction callbacks included)
is built from `discord.http.Route.BASE`, and a plain `Client` (or an
`AutoShardedClient` given a shard count) dials
`DiscordWebSocket.DEFAULT_GATEWAY`. An `AutoShardedClient` without a shard
count asks `GET /gateway/bot` instead, which the other API answers itself.

`ApiEndpoints.apply()` sets both and `restore()` puts back what was there.
The bot applies them at the start of every login, because
`discord.http._set_api_version()` resets `Route.BASE` to discord.com. They are
process-wide: one process talks to one Discord API at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.errors import SettingsError
from bot.settings import Settings


@dataclass
class ApiEndpoints:
    api_base: str = ""  # e.g. http://127.0.0.1:8080/api/v10; "" keeps discord.com
    gateway_url: str = ""  # e.g. ws://127.0.0.1:8080/gateway; "" keeps gateway.discord.gg
    _saved: tuple[str, yarl.URL] | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiEndpoints:
        endpoints = cls(settings.discord_api_base.rstrip("/"), settings.discord_gateway_url)
        endpoints.validate()
        return endpoints

    def validate(self) -> None:
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

    @property
    def is_default(self) -> bool:
        return not (self.api_base or self.gateway_url)

    def apply(self) -> None:
        """Point discord.py at these endpoints (a no-op for the defaults)."""
        if self.is_default:
            return
        if self._saved is None:
            self._saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        if self.api_base:
            Route.BASE = self.api_base
        if self.gateway_url:
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def restore(self) -> None:
        """Put back the endpoints that were set before `apply()`."""
        if self._saved is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None
