"""The stand-in's gateway behaves as Discord documents it (discord.com/developers/docs/events/gateway)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from tests.standin import ALICE_ID, BOT_ID, CHANNEL_ID, GUILD_ID, TOKEN, DiscordStandIn

INTENTS = (1 << 0) | (1 << 9)  # guilds, guild messages: no privileged intent


async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await ws.receive(timeout=5)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    frame: dict[str, Any] = json.loads(message.data)
    return frame


async def identify(ws: aiohttp.ClientWebSocketResponse, token: str = TOKEN, intents: int = INTENTS) -> None:
    hello = await receive(ws)
    assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
    await ws.send_str(json.dumps({"op": 2, "d": {"token": token, "intents": intents, "properties": {}}}))


async def test_identify_gets_ready_then_the_guild(
    server: DiscordStandIn, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(server.gateway_url) as ws:
        await identify(ws)
        ready, guild = await receive(ws), await receive(ws)
        await server.wait_connected()
        await ws.send_str(json.dumps({"op": 1, "d": ready["s"]}))
        ack = await receive(ws)
    assert (ready["op"], ready["t"], ready["s"]) == (0, "READY", 1)
    assert ready["d"]["user"]["id"] == str(BOT_ID) and ready["d"]["session_id"]
    assert ready["d"]["resume_gateway_url"] == server.gateway_url
    assert (guild["t"], guild["s"], guild["d"]["id"]) == ("GUILD_CREATE", 2, str(GUILD_ID))
    assert ack == {"op": 11}
    assert server.identifies == [{"intents": INTENTS, "properties": {}, "token_ok": True}]


async def test_a_wrong_token_closes_with_4004(server: DiscordStandIn, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(server.gateway_url) as ws:
        await identify(ws, token="wrong")
        closed = await ws.receive(timeout=5)
    assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4004


async def test_a_refused_privileged_intent_closes_with_4014(http: aiohttp.ClientSession) -> None:
    server = DiscordStandIn(message_content_granted=False)
    await server.start()
    try:
        async with http.ws_connect(server.gateway_url) as ws:
            await identify(ws, intents=INTENTS | (1 << 15))
            closed = await ws.receive(timeout=5)
    finally:
        await server.close()
    assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4014
    assert server.closed_4014 == 1


async def test_a_user_message_is_dispatched_as_message_create(
    server: DiscordStandIn, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(server.gateway_url) as ws:
        await identify(ws)
        await receive(ws), await receive(ws)  # READY, GUILD_CREATE
        sent = await server.say(ALICE_ID, f"<@{BOT_ID}> hello")
        event = await receive(ws)
    assert (event["t"], event["s"]) == ("MESSAGE_CREATE", 3)
    assert event["d"] == sent
    assert event["d"]["channel_id"] == str(CHANNEL_ID) and event["d"]["author"]["id"] == str(ALICE_ID)
    assert [m["id"] for m in event["d"]["mentions"]] == [str(BOT_ID)]


async def test_resume_replays_what_was_missed_then_resumed(
    server: DiscordStandIn, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(server.gateway_url) as ws:
        await identify(ws)
        ready = await receive(ws)
        await receive(ws)  # GUILD_CREATE, seq 2
        await server.wait_connected()
    await server.say(ALICE_ID, "said while the client was away")  # seq 3, kept for a RESUME
    async with http.ws_connect(server.gateway_url) as ws:
        assert (await receive(ws))["op"] == 10
        resume = {"token": TOKEN, "session_id": ready["d"]["session_id"], "seq": 2}
        await ws.send_str(json.dumps({"op": 6, "d": resume}))
        replayed, resumed = await receive(ws), await receive(ws)
    assert (replayed["t"], replayed["s"]) == ("MESSAGE_CREATE", 3)
    assert replayed["d"]["content"] == "said while the client was away"
    assert (resumed["t"], resumed["s"]) == ("RESUMED", 4)
    assert server.resumes == 1 and server.replayed == 1


async def test_resume_of_an_unknown_session_is_invalid(
    server: DiscordStandIn, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(server.gateway_url) as ws:
        await receive(ws)
        await ws.send_str(json.dumps({"op": 6, "d": {"token": TOKEN, "session_id": "gone", "seq": 1}}))
        invalid = await receive(ws)
    assert invalid == {"op": 9, "d": False} and server.invalid_sessions == 1
