"""The gateway side of the stand-in: the websocket and the events it dispatches for test users.

HELLO, IDENTIFY -> READY (and GUILD_CREATE for the shard that holds the guild),
heartbeat ACKs, RESUME with the missed events replayed then RESUMED,
RECONNECT (op 7), INVALID_SESSION (op 9) and close code 4014 for a refused
privileged intent, as https://discord.com/developers/docs/events/gateway
describes them. `say`, `slash` and `click` act as users: MESSAGE_CREATE and
INTERACTION_CREATE on the connection of the guild's shard.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from aiohttp import WSMsgType, web

from tests.standin.state import (
    ALICE_ID,
    APP_ID,
    BOT_ID,
    BOT_ROLE_ID,
    CHANNEL_ID,
    GUILD_ID,
    MANAGE_GUILD,
    MANAGER_ROLE_ID,
    MEMBER_PERMISSIONS,
    MEMBER_ROLES,
    MESSAGE_CONTENT_INTENT,
    NOW,
    OPERATOR_ROLE_ID,
    OTHER_CHANNEL_ID,
    OWNER_ID,
    THREAD_ID,
    USERS,
    Connection,
    SentInteraction,
    StandInState,
)


class Gateway(StandInState):
    """The gateway websocket (`_gateway`, served at /gateway) and the users' actions."""

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
