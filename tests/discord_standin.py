"""A stand-in for the Discord API on 127.0.0.1, so the real discord.py client can be tested.

It serves the gateway websocket (HELLO, IDENTIFY → READY and GUILD_CREATE,
heartbeats, RESUME with the missed events replayed, RECONNECT, INVALID_SESSION,
close code 4014 for a refused intent) and the REST routes the bot calls. It
dispatches MESSAGE_CREATE and INTERACTION_CREATE on behalf of test users,
checks every message the bot sends against Discord's limits (answering 400 /
50035 like Discord when one is broken), works out whom each message would
ping, and records every request so tests can assert on exactly what the bot
sent.

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

import asyncio
import contextlib
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

TOKEN = "standin.bot-token.0123456789"
NOW = "2024-01-01T00:00:00.000000+00:00"

# Snowflakes. The guild id puts the guild on shard 1 of 2: (GUILD_ID >> 22) % 2 == 1.
APP_ID = BOT_ID = 900000000000000001
GUILD_ID = (190734863 << 22) | 5
CHANNEL_ID = 910000000000000001
OTHER_CHANNEL_ID = 910000000000000002
THREAD_ID = 910000000000000003
OPERATOR_ROLE_ID = 920000000000000001
MANAGER_ROLE_ID = 920000000000000002
BOT_ROLE_ID = 920000000000000003  # the bot's own managed role, which Discord creates at invite
ALICE_ID = 930000000000000001  # a member
OLIVIA_ID = 930000000000000002  # has the operator role
MANNY_ID = 930000000000000003  # has Manage Server
OWNER_ID = 930000000000000009

MESSAGE_CONTENT_INTENT = 1 << 15
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 31)  # view, send, history, app commands
MANAGE_GUILD = 1 << 5

# Discord's limits, checked on everything the bot sends.
LIMITS = {
    "content": 2000,
    "embeds": 10,
    "title": 256,
    "description": 4096,
    "fields": 25,
    "field.name": 256,
    "field.value": 1024,
    "footer": 2048,
    "total": 6000,
    "choices": 25,
    "choice": 100,
}


def user(user_id: int, name: str, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


USERS = {
    BOT_ID: user(BOT_ID, "article-bot", bot=True),
    ALICE_ID: user(ALICE_ID, "alice"),
    OLIVIA_ID: user(OLIVIA_ID, "olivia"),
    MANNY_ID: user(MANNY_ID, "manny"),
    OWNER_ID: user(OWNER_ID, "owner"),
}
MEMBER_ROLES = {
    BOT_ID: [BOT_ROLE_ID],
    ALICE_ID: [],
    OLIVIA_ID: [OPERATOR_ROLE_ID],
    MANNY_ID: [MANAGER_ROLE_ID],
    OWNER_ID: [],
}


def embed_violations(embeds: list[dict[str, Any]]) -> list[str]:
    problems = []
    if len(embeds) > LIMITS["embeds"]:
        problems.append(f"{len(embeds)} embeds")
    total = 0
    for i, embed in enumerate(embeds):
        title = embed.get("title") or ""
        description = embed.get("description") or ""
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        fields = embed.get("fields") or []
        for name, value, limit in (("title", title, "title"), ("description", description, "description")):
            if len(value) > LIMITS[limit]:
                problems.append(f"embeds[{i}].{name} is {len(value)} characters")
        if len(footer) > LIMITS["footer"]:
            problems.append(f"embeds[{i}].footer is {len(footer)} characters")
        if len(fields) > LIMITS["fields"]:
            problems.append(f"embeds[{i}] has {len(fields)} fields")
        for j, f in enumerate(fields):
            name, value = f.get("name") or "", f.get("value") or ""
            if not name or len(name) > LIMITS["field.name"]:
                problems.append(f"embeds[{i}].fields[{j}].name is {len(name)} characters")
            if not value or len(value) > LIMITS["field.value"]:
                problems.append(f"embeds[{i}].fields[{j}].value is {len(value)} characters")
            total += len(name) + len(value)
        total += len(title) + len(description) + len(footer) + len(author)
    if total > LIMITS["total"]:
        problems.append(f"embeds total {total} characters")
    return problems


def message_violations(payload: dict[str, Any]) -> list[str]:
    problems = []
    content = payload.get("content") or ""
    if len(content) > LIMITS["content"]:
        problems.append(f"content is {len(content)} characters")
    problems += embed_violations(payload.get("embeds") or [])
    for row in payload.get("components") or []:
        for item in row.get("components", []):
            if len(item.get("custom_id", "")) > 100:
                problems.append("custom_id over 100 characters")
    choices = payload.get("choices")
    if choices is not None:
        if len(choices) > LIMITS["choices"]:
            problems.append(f"{len(choices)} choices")
        for c in choices:
            if not 1 <= len(c["name"]) <= LIMITS["choice"] or len(str(c["value"])) > LIMITS["choice"]:
                problems.append(f"choice {c['name'][:20]!r} too long")
    return problems


def pinged(content: str, allowed: dict[str, Any] | None, replied_author: str | None) -> dict[str, Any]:
    """Whom Discord would notify for a new message: @everyone, user ids, role ids.

    Without `allowed_mentions` Discord parses every mention in the content and
    pings the author of the message replied to.
    """
    if allowed is None:
        allowed = {"parse": ["users", "roles", "everyone"], "replied_user": True}
    parse = allowed.get("parse") or []
    users = re.findall(r"<@!?(\d+)>", content)
    roles = re.findall(r"<@&(\d+)>", content)
    pinged_users = [u for u in users if "users" in parse or u in [str(x) for x in allowed.get("users") or []]]
    if replied_author and allowed.get("replied_user", False):
        pinged_users.append(replied_author)
    return {
        "everyone": "everyone" in parse and bool(re.search(r"@(everyone|here)\b", content)),
        "users": list(dict.fromkeys(pinged_users)),
        "roles": [r for r in roles if "roles" in parse or r in [str(x) for x in allowed.get("roles") or []]],
    }


@dataclass
class Recorded:
    method: str
    path: str  # after the API base, e.g. /channels/1/messages
    query: dict[str, str]
    body: Any
    authorization: str
    content_type: str
    at: float = field(default_factory=time.monotonic)


@dataclass
class SentInteraction:
    """An interaction the stand-in dispatched, and what the bot answered."""

    id: int
    token: str
    kind: int
    name: str
    user_id: int
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    dispatched_at: float = field(default_factory=time.monotonic)
    acknowledged_at: float | None = None
    original: dict[str, Any] | None = None
    original_edits: int = 0
    followups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def response_type(self) -> int | None:
        return self.callbacks[0]["type"] if self.callbacks else None

    @property
    def ephemeral(self) -> bool:
        data = self.callbacks[0].get("data") or {} if self.callbacks else {}
        return bool((data.get("flags") or 0) & 64)

    @property
    def done(self) -> bool:
        """Answered: a direct reply, choices, or a deferral followed by an edit."""
        kind = self.response_type
        return kind in (4, 7, 8) or (kind == 5 and self.original_edits > 0)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """What the user sees: the original response, then the follow-ups."""
        return ([self.original] if self.original else []) + self.followups

    @property
    def text(self) -> str:
        return "\n".join(m.get("content") or "" for m in self.messages)


@dataclass
class Fault:
    """A REST route made to fail: `status` for the next `times` matching requests.

    With `after_work`, the request is carried out first and only its response
    is lost (the client cannot tell, and retries).
    """

    method: str
    path: re.Pattern[str]
    status: int
    times: int
    retry_after: float = 0.05
    after_work: bool = False
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return self.hits < self.times and method == self.method and bool(self.path.fullmatch(path))


REPLAY_LIMIT = 1000  # dispatched events a session keeps for a RESUME


class Connection:
    def __init__(self, ws: web.WebSocketResponse, request: web.Request | None = None) -> None:
        self.ws = ws
        self.request = request
        self.session_id = ""
        self.shard: tuple[int, int] = (0, 1)
        self.seq = 0
        self.ready = asyncio.Event()
        self.intents = 0
        self.sent: list[dict[str, Any]] = []  # this session's dispatches, replayed on RESUME

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event; while the connection is down it is only kept (for a RESUME)."""
        self.seq += 1
        frame = {"op": 0, "t": event, "s": self.seq, "d": data}
        self.sent = [*self.sent[-REPLAY_LIMIT + 1 :], frame]
        if self.ws.closed:
            return
        with contextlib.suppress(ConnectionResetError, RuntimeError):  # went down meanwhile: replayed
            await self.ws.send_str(json.dumps(frame))


class DiscordStandIn:
    def __init__(self, *, message_content_granted: bool = True, token: str = TOKEN) -> None:
        self.token = token
        self.message_content_granted = message_content_granted
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.unknown_routes: list[str] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes = 0
        self.invalid_sessions = 0
        self.replayed = 0
        self.closed_4014 = 0
        self.faults: list[Fault] = []
        self.fault_responses: list[tuple[str, str, int]] = []  # (method, path, status) answered by a fault
        self.messages: dict[int, dict[str, Any]] = {}  # every message, by id
        self.interactions: dict[str, SentInteraction] = {}  # by token
        self.commands: dict[str, list[dict[str, Any]]] = {}  # synced commands by scope ("global" or guild id)
        self.attachments: dict[str, tuple[bytes, str]] = {}
        self.pages: dict[str, tuple[bytes, str]] = {}
        self._connections: dict[int, Connection] = {}  # live connection per shard id
        self._sessions: dict[str, Connection] = {}
        self._ids = itertools.count(940000000000000001)
        self._changed = asyncio.Condition()
        self._gateway_up = asyncio.Event()  # cleared while the gateway is "down": no HELLO is sent
        self._gateway_up.set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle ---------------------------------------------------------------------

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

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # ---- waiting -----------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until `predicate()` is truthy (checked after every request and event)."""

        async def waiting() -> Any:
            async with self._changed:
                while True:
                    value = predicate()
                    if value:
                        return value
                    await self._changed.wait()

        return await asyncio.wait_for(waiting(), timeout)

    async def wait_connected(self, shards: int = 1, timeout: float = 10.0) -> None:
        await self.wait_for(
            lambda: sum(1 for c in self._connections.values() if c.ready.is_set()) >= shards, timeout
        )

    # ---- what the bot sent -------------------------------------------------------------

    def bot_messages(self, channel_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot created in channels (not interaction responses), oldest first."""
        return [
            m
            for m in self.messages.values()
            if m["author"]["id"] == str(BOT_ID)
            and not m.get("interaction_token")
            and (channel_id is None or m["channel_id"] == str(channel_id))
        ]

    def replies_to(self, message_id: int) -> list[dict[str, Any]]:
        """The bot's messages in the conversation started by a reply to `message_id`."""
        first = [
            m
            for m in self.bot_messages()
            if (m.get("message_reference") or {}).get("message_id") == str(message_id)
        ]
        if not first:
            return []
        start = int(first[0]["id"])
        channel = first[0]["channel_id"]
        pages = [first[0]]
        for m in self.bot_messages():
            if int(m["id"]) > start and m["channel_id"] == channel and not m.get("message_reference"):
                pages.append(m)
        return pages

    def sent_payloads(self) -> list[dict[str, Any]]:
        """Every message payload the bot sent (channel messages, interaction replies, edits)."""
        payloads = []
        for r in self.requests:
            body = r.body if isinstance(r.body, dict) else None
            if body is None:
                continue
            if r.method in ("POST", "PATCH") and (
                re.fullmatch(r"/channels/\d+/messages(/\d+)?", r.path) or r.path.startswith("/webhooks/")
            ):
                payloads.append(body)
            elif r.path.endswith("/callback") and body.get("type") in (4, 7):
                payloads.append(body.get("data") or {})
        return payloads

    def typing_in(self, channel_id: int) -> int:
        return sum(
            1 for r in self.requests if r.method == "POST" and r.path == f"/channels/{channel_id}/typing"
        )

    # ---- acting as users ---------------------------------------------------------------

    def _member(self, user_id: int) -> dict[str, Any]:
        return {
            "user": USERS[user_id],
            "nick": None,
            "avatar": None,
            "roles": [str(r) for r in MEMBER_ROLES[user_id]],
            "joined_at": NOW,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
        }

    def permissions_of(self, user_id: int) -> int:
        value = MEMBER_PERMISSIONS
        if MANAGER_ROLE_ID in MEMBER_ROLES[user_id] or user_id == OWNER_ID:
            value |= MANAGE_GUILD
        return value

    def _connection_for_guild(self) -> Connection:
        shard_count = next(iter(self._connections.values())).shard[1]
        return self._connections[(GUILD_ID >> 22) % shard_count]

    async def say(
        self,
        author_id: int,
        content: str,
        *,
        channel_id: int = CHANNEL_ID,
        reply_to: dict[str, Any] | None = None,
        ping_replied: bool = True,
    ) -> dict[str, Any]:
        """A user posts `content` (mentions as <@id>), optionally as a reply; MESSAGE_CREATE."""
        mentioned = [int(i) for i in re.findall(r"<@!?(\d+)>", content)]
        if reply_to is not None and ping_replied:
            mentioned.append(int(reply_to["author"]["id"]))
        mentions = []
        for uid in dict.fromkeys(mentioned):
            if uid in USERS:
                mentions.append(
                    {**USERS[uid], "member": {k: v for k, v in self._member(uid).items() if k != "user"}}
                )
        message = self._message(
            author=USERS[author_id],
            channel_id=channel_id,
            content=content,
            mentions=mentions,
            mention_everyone="@everyone" in content,
        )
        message["member"] = {k: v for k, v in self._member(author_id).items() if k != "user"}
        message["mention_roles"] = list(dict.fromkeys(re.findall(r"<@&(\d+)>", content)))
        if reply_to is not None:
            message["type"] = 19
            message["message_reference"] = {
                "type": 0,
                "message_id": reply_to["id"],
                "channel_id": reply_to["channel_id"],
                "guild_id": str(GUILD_ID),
            }
            message["referenced_message"] = reply_to
        self.messages[int(message["id"])] = message
        await self._connection_for_guild().dispatch("MESSAGE_CREATE", message)
        return message

    async def slash(
        self,
        user_id: int,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        channel_id: int = CHANNEL_ID,
        focused: str | None = None,
    ) -> SentInteraction:
        """A user runs /name [subcommand] with options (autocomplete when `focused` is set)."""
        resolved: dict[str, Any] = {}
        opts = []
        for key, value in (options or {}).items():
            if isinstance(value, dict) and "filename" in value:  # an attachment from add_attachment
                resolved.setdefault("attachments", {})[value["id"]] = value
                opts.append({"name": key, "type": 11, "value": value["id"]})
                continue
            kind = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 3
            option: dict[str, Any] = {"name": key, "type": kind, "value": value}
            if key == focused:
                option["focused"] = True
            opts.append(option)
        if subcommand:
            opts = [{"name": subcommand, "type": 1, "options": opts}]
        data: dict[str, Any] = {"id": str(next(self._ids)), "name": name, "type": 1, "options": opts}
        if resolved:
            data["resolved"] = resolved
        return await self._interact(user_id, 4 if focused else 2, name, data, channel_id)

    async def click(self, user_id: int, message: dict[str, Any], custom_id: str) -> SentInteraction:
        """A user presses the button `custom_id` on `message`."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(user_id, 3, custom_id, data, int(message["channel_id"]), message)

    async def _interact(
        self,
        user_id: int,
        kind: int,
        name: str,
        data: dict[str, Any],
        channel_id: int,
        message: dict[str, Any] | None = None,
    ) -> SentInteraction:
        interaction_id = next(self._ids)
        token = "itoken-" + secrets.token_hex(8)
        sent = SentInteraction(interaction_id, token, kind, name, user_id)
        self.interactions[token] = sent
        member = self._member(user_id)
        member["permissions"] = str(self.permissions_of(user_id))
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(APP_ID),
            "type": kind,
            "token": token,
            "version": 1,
            "data": data,
            "guild_id": str(GUILD_ID),
            "channel_id": str(channel_id),
            "channel": self._channel(channel_id),
            "member": member,
            "app_permissions": str(MEMBER_PERMISSIONS),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = message
        await self._connection_for_guild().dispatch("INTERACTION_CREATE", payload)
        return sent

    async def answered(
        self, sent: SentInteraction, followups: int = 0, timeout: float = 10.0
    ) -> SentInteraction:
        """Wait until the bot has answered `sent` (and sent at least `followups` follow-ups)."""
        await self.wait_for(lambda: sent.done and len(sent.followups) >= followups, timeout)
        return sent

    async def request_reconnect(self) -> None:
        """Ask the client to reconnect and resume (gateway op 7)."""
        for connection in list(self._connections.values()):
            connection.ready.clear()
            await connection.ws.send_str(json.dumps({"op": 7, "d": None}))

    async def drop_connection(
        self, *, code: int | None = 4000, forget_session: bool = False, stay_down: bool = False
    ) -> None:
        """Close every gateway websocket with `code`, or cut the TCP connection when `code` is None.

        With `forget_session` the sessions are gone (as after close code 4009): a
        RESUME gets INVALID_SESSION, and the client has to IDENTIFY again. With
        `stay_down`, new gateway connections get no HELLO until `bring_up()`, so
        events dispatched meanwhile can only reach the client by a RESUME.
        """
        if stay_down:
            self._gateway_up.clear()
        for connection in list(self._connections.values()):
            connection.ready.clear()
            if forget_session:
                self._sessions.pop(connection.session_id, None)
            if code is None and connection.request is not None and connection.request.transport is not None:
                connection.request.transport.abort()
            else:
                await connection.ws.close(code=code or 4000, message=b"dropped by the stand-in")

    def bring_up(self) -> None:
        """End a `drop_connection(stay_down=True)`."""
        self._gateway_up.set()

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        after_work: bool = False,
    ) -> Fault:
        """Make requests to `method path` (a regular expression) answer `status`, `times` times."""
        fault = Fault(method, re.compile(path), status, times, retry_after, after_work)
        self.faults.append(fault)
        return fault

    def _fault_response(self, fault: Fault) -> web.Response:
        if fault.status == 429:
            # As Discord sends it: a JSON body with retry_after, the rate-limit headers, and
            # `Via` (without it discord.py takes a 429 for a Cloudflare ban and gives up).
            reset_after = f"{fault.retry_after:.3f}"
            headers = {
                "Via": "1.1 google",
                "Retry-After": str(max(1, round(fault.retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + fault.retry_after:.3f}",
                "X-RateLimit-Reset-After": reset_after,
                "X-RateLimit-Bucket": "standin-" + fault.path.pattern.strip("/")[:20],
                "X-RateLimit-Scope": "user",
            }
            body = {
                "message": "You are being rate limited.",
                "retry_after": fault.retry_after,
                "global": False,
            }
            return web.Response(
                body=json.dumps(body).encode(), status=429, headers=headers, content_type="application/json"
            )
        return self._json({"message": f"{fault.status}: Server Error", "code": 0}, fault.status)

    def add_attachment(self, filename: str, data: bytes, content_type: str = "text/plain") -> dict[str, Any]:
        attachment_id = str(next(self._ids))
        self.attachments[attachment_id] = (data, content_type)
        return {
            "id": attachment_id,
            "filename": filename,
            "size": len(data),
            "url": f"{self.base_url}/attachments/{attachment_id}/{filename}",
            "proxy_url": f"{self.base_url}/attachments/{attachment_id}/{filename}",
            "content_type": content_type,
        }

    def add_page(self, name: str, body: bytes, content_type: str = "text/html") -> str:
        self.pages[name] = (body, content_type)
        return f"{self.base_url}/pages/{name}"

    # ---- gateway -----------------------------------------------------------------------

    def _guild(self) -> dict[str, Any]:
        roles = [
            self._role(GUILD_ID, "@everyone", MEMBER_PERMISSIONS, 0),
            self._role(OPERATOR_ROLE_ID, "Operators", 0, 1),
            self._role(MANAGER_ROLE_ID, "Managers", MANAGE_GUILD, 2),
            {
                **self._role(BOT_ROLE_ID, "Article Bot", 0, 3),
                "managed": True,
                "tags": {"bot_id": str(BOT_ID)},
            },
        ]
        members = [self._member(uid) for uid in USERS]
        return {
            "id": str(GUILD_ID),
            "name": "Newsroom",
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(OWNER_ID),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": roles,
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": NOW,
            "large": False,
            "unavailable": False,
            "member_count": len(members),
            "members": members,
            "channels": [self._channel(CHANNEL_ID), self._channel(OTHER_CHANNEL_ID)],
            "threads": [self._channel(THREAD_ID)],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    @staticmethod
    def _role(role_id: int, name: str, permissions: int, position: int) -> dict[str, Any]:
        return {
            "id": str(role_id),
            "name": name,
            "color": 0,
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": position,
            "permissions": str(permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    async def start_thread(self, message: dict[str, Any], name: str = "follow-ups") -> int:
        """A user starts a public thread from `message`; the thread takes its id (THREAD_CREATE)."""
        thread = self._channel(THREAD_ID) | {"id": message["id"], "name": name, "newly_created": True}
        await self._connection_for_guild().dispatch("THREAD_CREATE", thread)
        return int(message["id"])

    @staticmethod
    def _channel(channel_id: int) -> dict[str, Any]:
        if channel_id == THREAD_ID:
            return {
                "id": str(THREAD_ID),
                "type": 11,
                "guild_id": str(GUILD_ID),
                "parent_id": str(CHANNEL_ID),
                "owner_id": str(ALICE_ID),
                "name": "questions",
                "last_message_id": None,
                "message_count": 0,
                "member_count": 1,
                "rate_limit_per_user": 0,
                "flags": 0,
                "total_message_sent": 0,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": NOW,
                    "locked": False,
                },
            }
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(GUILD_ID),
            "name": "news" if channel_id == CHANNEL_ID else "other",
            "position": 0 if channel_id == CHANNEL_ID else 1,
            "permission_overwrites": [],
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
        }

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        connection = Connection(ws, request)
        await self._gateway_up.wait()
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        try:
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                op, data = message.get("op"), message.get("d")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif op == 2:
                    await self._identify(connection, data)
                elif op == 6:
                    await self._resume(connection, data)
                await self._notify()
        finally:
            await self._notify()
        return ws

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> None:
        self.identifies.append(
            {k: v for k, v in data.items() if k != "token"} | {"token_ok": data["token"] == self.token}
        )
        if data["token"] != self.token:
            await connection.ws.close(code=4004, message=b"Authentication failed.")
            return
        if data["intents"] & MESSAGE_CONTENT_INTENT and not self.message_content_granted:
            self.closed_4014 += 1
            await connection.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard = tuple(data.get("shard") or (0, 1))
        connection.shard = (int(shard[0]), int(shard[1]))
        connection.intents = data["intents"]
        connection.session_id = secrets.token_hex(8)
        self._sessions[connection.session_id] = connection
        on_this_shard = (GUILD_ID >> 22) % connection.shard[1] == connection.shard[0]
        ready = {
            "v": 10,
            "user": {**USERS[BOT_ID], "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}] if on_this_shard else [],
            "session_id": connection.session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APP_ID), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "shard": list(connection.shard),
        }
        await connection.dispatch("READY", ready)
        if on_this_shard:
            await connection.dispatch("GUILD_CREATE", self._guild())
        self._connections[connection.shard[0]] = connection
        connection.ready.set()

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        old = self._sessions.get(data.get("session_id", ""))
        if old is None or data.get("token") != self.token:
            self.invalid_sessions += 1
            await connection.ws.send_str(json.dumps({"op": 9, "d": False}))
            return
        self.resumes += 1
        connection.session_id, connection.shard, connection.seq = old.session_id, old.shard, old.seq
        connection.intents, connection.sent = old.intents, old.sent
        self._sessions[connection.session_id] = connection
        self._connections[connection.shard[0]] = connection
        # Like Discord: the events the client missed (after the seq it last saw), then RESUMED.
        for frame in [f for f in old.sent if f["s"] > (data.get("seq") or 0)]:
            self.replayed += 1
            await connection.ws.send_str(json.dumps(frame))
        await connection.dispatch("RESUMED", {})
        connection.ready.set()

    # ---- REST --------------------------------------------------------------------------

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        # Exactly application/json: discord.py parses nothing else as JSON.
        return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")

    def _message(
        self,
        *,
        author: dict[str, Any],
        channel_id: int,
        content: str = "",
        embeds: list[dict[str, Any]] | None = None,
        components: list[dict[str, Any]] | None = None,
        flags: int = 0,
        mentions: list[dict[str, Any]] | None = None,
        mention_everyone: bool = False,
    ) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "channel_id": str(channel_id),
            "guild_id": str(GUILD_ID),
            "author": author,
            "content": content,
            "timestamp": NOW,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": mention_everyone,
            "mentions": mentions or [],
            "mention_roles": [],
            "attachments": [],
            "embeds": embeds or [],
            "components": components or [],
            "pinned": False,
            "type": 0,
            "flags": flags,
        }

    def _bot_message(self, channel_id: int, payload: dict[str, Any], **extra: Any) -> dict[str, Any]:
        message = self._message(
            author=USERS[BOT_ID],
            channel_id=channel_id,
            content=payload.get("content") or "",
            embeds=payload.get("embeds") or [],
            components=payload.get("components") or [],
            flags=payload.get("flags") or 0,
        )
        message["allowed_mentions"] = payload.get("allowed_mentions")
        reference = payload.get("message_reference")
        replied_author = None
        if reference:
            message["type"] = 19
            ids = {k: str(v) for k, v in reference.items() if k.endswith("_id") and v is not None}
            message["message_reference"] = {**reference, **ids, "guild_id": str(GUILD_ID)}
            message["referenced_message"] = self.messages.get(int(reference["message_id"]))
            replied_author = (message["referenced_message"] or {}).get("author", {}).get("id")
        pings = pinged(message["content"], payload.get("allowed_mentions"), replied_author)
        message["mention_everyone"] = pings["everyone"]
        message["mentions"] = [USERS.get(int(u)) or user(int(u), f"user{u}") for u in pings["users"]]
        message["mention_roles"] = pings["roles"]
        if payload.get("nonce") is not None:
            message["nonce"] = str(payload["nonce"])
        message.update(extra)
        self.messages[int(message["id"])] = message
        return message

    @staticmethod
    def _edit(message: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        for key in ("content", "embeds", "components", "allowed_mentions"):
            if key in payload:
                message[key] = payload[key] if payload[key] is not None else ([] if key != "content" else "")
        message["edited_timestamp"] = NOW
        return message

    async def _body(self, request: web.Request) -> Any:
        if request.content_type == "application/json":
            return await request.json()
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            body: dict[str, Any] = {}
            files = []
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body.update(json.loads(await part.text()))  # type: ignore[union-attr]
                else:
                    files.append(part.filename)  # type: ignore[union-attr]
                    await part.read()  # type: ignore[union-attr]
            body["_files"] = files
            return body
        raw = await request.read()
        return json.loads(raw) if raw else None

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body = await self._body(request)
        self.requests.append(
            Recorded(
                request.method,
                path,
                dict(request.query),
                body,
                request.headers.get("Authorization", ""),
                request.headers.get("Content-Type", ""),
            )
        )
        try:
            fault = next((f for f in self.faults if f.matches(request.method, path)), None)
            if fault is None:
                return await self._route(request.method, path, request, body)
            fault.hits += 1
            self.fault_responses.append((request.method, path, fault.status))
            if fault.after_work:
                await self._route(request.method, path, request, body)
            return self._fault_response(fault)
        finally:
            await self._notify()

    def _check(self, payload: dict[str, Any], where: str) -> web.Response | None:
        problems = message_violations(payload)
        if problems:
            self.violations += [f"{where}: {p}" for p in problems]
            return self._json({"code": 50035, "message": "Invalid Form Body", "errors": problems}, 400)
        return None

    async def _route(self, method: str, path: str, request: web.Request, body: Any) -> web.StreamResponse:
        authorized = request.headers.get("Authorization") == f"Bot {self.token}"
        webhook = path.startswith(("/webhooks/", "/interactions/"))
        if not authorized and not webhook:
            return self._json({"message": "401: Unauthorized", "code": 0}, 401)
        if method == "GET" and path == "/users/@me":
            return self._json({**USERS[BOT_ID], "verified": True, "mfa_enabled": False, "flags": 0})
        if method == "GET" and path == "/oauth2/applications/@me":
            return self._json(
                {
                    "id": str(APP_ID),
                    "name": "Article Bot",
                    "icon": None,
                    "description": "",
                    "bot_public": False,
                    "bot_require_code_grant": False,
                    "owner": USERS[OWNER_ID],
                    "team": None,
                    "verify_key": "0" * 64,
                    "flags": 0,
                    "summary": "",
                }
            )
        if method == "GET" and path == "/gateway/bot":
            limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
            return self._json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})
        if method == "GET" and path == "/gateway":
            return self._json({"url": self.gateway_url})
        if re.fullmatch(r"/channels/(\d+)/typing", path):
            return web.Response(status=204)
        if (m := re.fullmatch(r"/channels/(\d+)/messages", path)) and method == "POST":
            refused = self._check(body, path)
            if refused:
                return refused
            if body.get("enforce_nonce") and body.get("nonce") is not None:
                # Discord returns the message already created with this nonce instead of a second one.
                for earlier in self.messages.values():
                    if (
                        earlier.get("nonce") == str(body["nonce"])
                        and earlier["channel_id"] == m.group(1)
                        and earlier["author"]["id"] == str(BOT_ID)
                    ):
                        return self._json(earlier)
            return self._json(self._bot_message(int(m.group(1)), body))
        if m := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", path):
            message = self.messages.get(int(m.group(2)))
            if message is None:
                return self._json({"message": "Unknown Message", "code": 10008}, 404)
            if method == "GET":
                return self._json(message)
            if method == "PATCH":
                refused = self._check(body, path)
                return refused or self._json(self._edit(message, body))
        if m := re.fullmatch(r"/interactions/(\d+)/([\w-]+)/callback", path):
            return self._callback(m.group(2), body)
        if m := re.fullmatch(r"/webhooks/(\d+)/([\w-]+)(/messages/(@original|\d+))?", path):
            return self._webhook(method, m.group(2), m.group(4), body)
        if m := re.fullmatch(r"/applications/(\d+)(/guilds/(\d+))?/commands", path):
            scope = m.group(3) or "global"
            if method == "PUT":
                self.commands[scope] = [
                    {**c, "id": str(next(self._ids)), "application_id": str(APP_ID), "version": "1"}
                    | ({"guild_id": scope} if scope != "global" else {})
                    for c in body
                ]
            return self._json(self.commands.get(scope, []))
        self.unknown_routes.append(f"{method} {path}")
        return self._json({"message": "404: Not Found", "code": 0}, 404)

    def _callback(self, token: str, body: dict[str, Any]) -> web.Response:
        sent = self.interactions.get(token)
        if sent is None:
            return self._json({"message": "Unknown interaction", "code": 10062}, 404)
        if sent.callbacks:
            return self._json({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
        kind = body["type"]
        data = body.get("data") or {}
        refused = self._check(data, f"callback {kind}")
        if refused:
            return refused
        sent.callbacks.append(body)
        sent.acknowledged_at = time.monotonic()
        interaction = {"id": str(sent.id), "type": sent.kind}
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5):
            payload = dict(data)
            if kind == 5:
                payload["flags"] = (data.get("flags") or 0) | 128  # loading
            sent.original = self._bot_message(CHANNEL_ID, payload, interaction_token=token)
            resource["message"] = sent.original
            interaction |= {
                "response_message_id": sent.original["id"],
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
            }
        return self._json({"interaction": interaction, "resource": resource})

    def _webhook(
        self, method: str, token: str, target: str | None, body: dict[str, Any]
    ) -> web.StreamResponse:
        sent = self.interactions.get(token)
        if sent is None:
            return self._json({"message": "Unknown Webhook", "code": 10015}, 404)
        if target is None and method == "POST":
            refused = self._check(body, "followup")
            if refused:
                return refused
            followup = self._bot_message(CHANNEL_ID, body, interaction_token=token)
            sent.followups.append(followup)
            return self._json(followup)
        message = sent.original if target == "@original" else self.messages.get(int(target or 0))
        if message is None:
            return self._json({"message": "Unknown Message", "code": 10008}, 404)
        if method == "DELETE":
            if target == "@original":
                sent.original = None
            return web.Response(status=204)
        if method == "PATCH":
            refused = self._check(body, "edit")
            if refused:
                return refused
            self._edit(message, body)
            if target == "@original":
                message["flags"] = message.get("flags", 0) & ~128
                sent.original_edits += 1
            return self._json(message)
        if method == "GET":
            return self._json(message)
        return self._json({"message": "405: Method Not Allowed", "code": 0}, 405)

    async def _attachment(self, request: web.Request) -> web.Response:
        found = self.attachments.get(request.match_info["id"])
        if found is None:
            return web.Response(status=404)
        return web.Response(body=found[0], content_type=found[1])

    async def _page(self, request: web.Request) -> web.Response:
        found = self.pages.get(request.match_info["name"])
        if found is None:
            return web.Response(status=404)
        return web.Response(body=found[0], content_type=found[1])
