"""The REST side of the stand-in: the routes the bot calls, checked and recorded.

Every request is recorded (`requests`) before it is answered. Message payloads
are checked against Discord's limits and refused with 400 / 50035 like
Discord; message creation honours `nonce` + `enforce_nonce`; interaction
callbacks, follow-ups and edits of the original response are kept on the
`SentInteraction`. `fail()` injects a 429 (with Discord's rate-limit headers)
or a 5xx, before or after the work is done. Attachments and web pages that
tests add are served under /attachments and /pages.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from aiohttp import web

from tests.standin.state import (
    APP_ID,
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    NOW,
    OWNER_ID,
    USERS,
    Fault,
    Recorded,
    StandInState,
    message_violations,
    pinged,
    user,
)


class Rest(StandInState):
    """The REST API under /api/v10 (`_rest`), fault injection, attachments and pages."""

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

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        # Exactly application/json: discord.py parses nothing else as JSON.
        return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")

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
