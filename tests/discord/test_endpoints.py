"""DISCORD_API_BASE and DISCORD_GATEWAY_URL (bot/discord/endpoints.py)."""

from __future__ import annotations

import re

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.discord.endpoints import ApiEndpoints
from bot.errors import SettingsError
from bot.settings import Settings


def discord_endpoints() -> tuple[str, str]:
    """Where discord.py sends REST requests and opens the gateway now."""
    return Route.BASE, str(DiscordWebSocket.DEFAULT_GATEWAY)


@pytest.mark.parametrize(
    ("api_base", "gateway_url", "named"),
    [
        ("127.0.0.1:8080/api/v10", "", "DISCORD_API_BASE must be an http(s) URL"),
        ("ws://127.0.0.1:8080/api/v10", "", "DISCORD_API_BASE must be an http(s) URL"),
        ("", "http://127.0.0.1:8080/gateway", "DISCORD_GATEWAY_URL must be a ws(s) URL"),
        ("", "ws:///gateway", "DISCORD_GATEWAY_URL must be a ws(s) URL"),
    ],
)
def test_a_setting_that_is_not_a_url_is_named(
    settings: Settings, api_base: str, gateway_url: str, named: str
) -> None:
    wrong = settings.with_overrides(discord_api_base=api_base, discord_gateway_url=gateway_url)
    with pytest.raises(SettingsError, match=re.escape(named)):
        ApiEndpoints.from_settings(wrong)


def test_endpoints_are_in_use_for_the_block_only(settings: Settings) -> None:
    before = discord_endpoints()
    other = settings.with_overrides(
        discord_api_base="http://127.0.0.1:9/api/v10/", discord_gateway_url="ws://127.0.0.1:9/gw"
    )
    with ApiEndpoints.from_settings(other).in_use():
        assert Route("GET", "/users/@me").url == "http://127.0.0.1:9/api/v10/users/@me"
        assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:9/gw"
    assert discord_endpoints() == before
    with ApiEndpoints.from_settings(settings).in_use():  # the defaults: discord.com
        assert discord_endpoints() == before
