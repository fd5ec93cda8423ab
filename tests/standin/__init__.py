"""A stand-in for the Discord API on 127.0.0.1, so the real discord.py client can be tested.

It serves the gateway websocket (gateway.py: HELLO, IDENTIFY → READY and
GUILD_CREATE, heartbeats, RESUME with the missed events replayed, RECONNECT,
INVALID_SESSION, close code 4014 for a refused intent) and the REST routes the
bot calls (rest.py). It dispatches MESSAGE_CREATE and INTERACTION_CREATE on
behalf of test users, checks every message the bot sends against Discord's
limits (answering 400 / 50035 like Discord when one is broken), works out whom
each message would ping, and records every request so tests can assert on
exactly what the bot sent (state.py).

Faults on demand: `fail()` makes a REST route answer 429 (with Discord's
rate-limit headers) or a 5xx, before or after doing the work (a lost
response); `drop_connection()` closes the gateway websocket or cuts the TCP
connection, optionally forgetting the session so it cannot be resumed.
Message creation honours `nonce` + `enforce_nonce` like Discord, so a retried
send does not post twice.

Point a bot at it with the settings DISCORD_API_BASE=`api_base` and
DISCORD_GATEWAY_URL=`gateway_url`.
"""

from __future__ import annotations

from aiohttp import web

from tests.standin.gateway import Gateway
from tests.standin.rest import Rest
from tests.standin.state import (
    ALICE_ID,
    APP_ID,
    BOT_ID,
    BOT_ROLE_ID,
    CHANNEL_ID,
    GUILD_ID,
    LIMITS,
    MANNY_ID,
    OLIVIA_ID,
    OPERATOR_ROLE_ID,
    OTHER_CHANNEL_ID,
    THREAD_ID,
    TOKEN,
    Fault,
    Recorded,
    SentInteraction,
    message_violations,
    pinged,
)


class DiscordStandIn(Gateway, Rest):
    """The whole stand-in: `start()` serves it on a free port, `close()` stops it."""

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{id}/{name}", self._attachment)
        app.router.add_get("/pages/{name}", self._page)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        self._gateway_up.set()  # let connections held by drop_connection(stay_down=True) finish
        for connection in list(self._connections.values()):
            await connection.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()


__all__ = [
    "ALICE_ID",
    "APP_ID",
    "BOT_ID",
    "BOT_ROLE_ID",
    "CHANNEL_ID",
    "GUILD_ID",
    "LIMITS",
    "MANNY_ID",
    "OLIVIA_ID",
    "OPERATOR_ROLE_ID",
    "OTHER_CHANNEL_ID",
    "THREAD_ID",
    "TOKEN",
    "DiscordStandIn",
    "Fault",
    "Recorded",
    "SentInteraction",
    "message_violations",
    "pinged",
]
