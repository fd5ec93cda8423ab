"""What the stand-in knows: the guild, its users and channels, Discord's limits, what was sent.

The ids are fixed snowflakes (the guild sits on shard 1 of 2). `StandInState`
holds everything the gateway (gateway.py) and the REST routes (rest.py) share:
every message by id, every request recorded, the dispatched interactions and
the live gateway connections; `wait_for` wakes on every change.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

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


class StandInState:
    """The state shared by the gateway and the REST side, and the queries tests make of it."""

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
