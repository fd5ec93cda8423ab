"""The stand-in's REST routes answer as Discord documents (discord.com/developers/docs/resources/message)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import aiohttp

from tests.standin import ALICE_ID, APP_ID, BOT_ID, CHANNEL_ID, TOKEN, DiscordStandIn

AUTH = {"Authorization": f"Bot {TOKEN}"}


async def post_message(
    server: DiscordStandIn, http: aiohttp.ClientSession, payload: dict[str, Any]
) -> tuple[int, Any, Mapping[str, str]]:
    url = f"{server.api_base}/channels/{CHANNEL_ID}/messages"
    async with http.post(url, json=payload, headers=AUTH) as response:
        return response.status, await response.json(), response.headers


async def test_users_me_needs_the_bot_token(server: DiscordStandIn, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{server.api_base}/users/@me", headers=AUTH) as response:
        me = await response.json()
    async with http.get(f"{server.api_base}/users/@me", headers={"Authorization": "Bot wrong"}) as refused:
        assert refused.status == 401
    assert me["id"] == str(BOT_ID) and me["bot"] is True
    assert [r.authorization for r in server.requests] == [f"Bot {TOKEN}", "Bot wrong"]


async def test_a_message_is_created_once_per_enforced_nonce(
    server: DiscordStandIn, http: aiohttp.ClientSession
) -> None:
    payload = {"content": "hello", "nonce": "17", "enforce_nonce": True, "allowed_mentions": {"parse": []}}
    status, first, _ = await post_message(server, http, payload)
    _, again, _ = await post_message(server, http, payload)
    assert status == 200 and first["content"] == "hello" and first["author"]["id"] == str(BOT_ID)
    assert again["id"] == first["id"]
    assert server.bot_messages() == [server.messages[int(first["id"])]]


async def test_a_message_over_discords_limits_is_refused_with_50035(
    server: DiscordStandIn, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await post_message(server, http, {"content": "x" * 2001})
    assert status == 400 and body["code"] == 50035
    assert server.violations == [f"/channels/{CHANNEL_ID}/messages: content is 2001 characters"]
    assert server.bot_messages() == []


async def test_an_unallowed_mention_would_ping(server: DiscordStandIn, http: aiohttp.ClientSession) -> None:
    _, pinging, _ = await post_message(server, http, {"content": "@everyone <@5>"})
    _, silent, _ = await post_message(
        server, http, {"content": "@everyone <@5>", "allowed_mentions": {"parse": []}}
    )
    assert pinging["mention_everyone"] is True and [u["id"] for u in pinging["mentions"]] == ["5"]
    assert silent["mention_everyone"] is False and silent["mentions"] == []


async def test_a_rate_limited_route_sends_discords_headers(
    server: DiscordStandIn, http: aiohttp.ClientSession
) -> None:
    server.fail("POST", rf"/channels/{CHANNEL_ID}/messages", 429, retry_after=0.25)
    before = time.time()
    status, body, headers = await post_message(server, http, {"content": "hi"})
    status_after, _, _ = await post_message(server, http, {"content": "hi"})
    assert (status, status_after) == (429, 200)
    assert body == {"message": "You are being rate limited.", "retry_after": 0.25, "global": False}
    assert headers["X-RateLimit-Remaining"] == "0" and headers["X-RateLimit-Reset-After"] == "0.250"
    assert float(headers["X-RateLimit-Reset"]) >= before and headers["Retry-After"] == "1"
    assert headers["Via"]  # without it discord.py takes a 429 for a Cloudflare ban
    assert server.fault_responses == [("POST", f"/channels/{CHANNEL_ID}/messages", 429)]


async def test_a_lost_response_still_does_the_work(
    server: DiscordStandIn, http: aiohttp.ClientSession
) -> None:
    server.fail("POST", rf"/channels/{CHANNEL_ID}/messages", 502, after_work=True)
    status, _, _ = await post_message(server, http, {"content": "hi"})
    assert status == 502 and [m["content"] for m in server.bot_messages()] == ["hi"]


async def test_an_unknown_route_is_a_404_and_recorded(
    server: DiscordStandIn, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{server.api_base}/guilds/1/bans", headers=AUTH) as response:
        assert response.status == 404
    assert server.unknown_routes == ["GET /guilds/1/bans"]


async def test_an_interaction_is_acknowledged_once_then_edited(
    server: DiscordStandIn, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(server.gateway_url) as ws:  # the guild's shard has to be connected
        await ws.receive(timeout=5)
        await ws.send_json({"op": 2, "d": {"token": TOKEN, "intents": 1, "properties": {}}})
        await server.wait_connected()
        sent = await server.slash(ALICE_ID, "ask", {"question": "who?"})
    callback = f"{server.api_base}/interactions/{sent.id}/{sent.token}/callback"
    original = f"{server.api_base}/webhooks/{APP_ID}/{sent.token}/messages/@original"
    async with http.post(callback, json={"type": 5, "data": {"flags": 64}}) as deferred:
        assert deferred.status == 200
    async with http.post(callback, json={"type": 4, "data": {"content": "again"}}) as twice:
        assert twice.status == 400 and (await twice.json())["code"] == 40060
    assert not sent.done and sent.ephemeral
    async with http.patch(original, json={"content": "the answer"}) as edited:
        assert edited.status == 200
    assert sent.done and sent.original_edits == 1 and sent.text == "the answer"
