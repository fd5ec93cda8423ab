"""Who may use what, where, and how often: operators, allowed channels, cooldowns."""

from __future__ import annotations

import time
from collections.abc import Callable

import discord
from discord import app_commands

from bot.settings import Settings


class NotOperator(app_commands.CheckFailure):
    """An operator command was used by someone who is not an operator."""

    def __init__(self) -> None:
        super().__init__("Only operators can use this command (Manage Server, or an operator role).")


class ChannelNotAllowed(app_commands.CheckFailure):
    """A question was asked in a channel the bot does not answer in."""

    def __init__(self, allowed: tuple[int, ...]) -> None:
        where = ", ".join(f"<#{channel}>" for channel in allowed[:5])
        super().__init__(f"I only answer questions in {where}.")


class OnCooldown(app_commands.CheckFailure):
    """The user asked again before their cooldown ran out."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(cooldown_notice(retry_after))


def cooldown_notice(retry_after: float) -> str:
    return f"Slow down: you can ask again in {max(1, round(retry_after))} s."


def is_operator(settings: Settings, user: discord.abc.User, permissions: discord.Permissions | None) -> bool:
    """Manage Server in this place, an operator role, or an operator user id."""
    if user.id in settings.operator_user_ids:
        return True
    if permissions is not None and (permissions.manage_guild or permissions.administrator):
        return True
    roles = getattr(user, "roles", ())
    return any(role.id in settings.operator_role_ids for role in roles)


def channel_allowed(settings: Settings, channel: object) -> bool:
    """Whether questions are answered in `channel` (a thread counts as its parent channel)."""
    if not settings.allowed_channel_ids:
        return True
    ids = {getattr(channel, "id", None), getattr(channel, "parent_id", None)}
    return any(i in settings.allowed_channel_ids for i in ids if i is not None)


class Cooldowns:
    """One question per user every `seconds`, shared by mentions and slash commands."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last: dict[int, float] = {}
        self._warned: dict[int, float] = {}

    def hit(self, user_id: int) -> float:
        """0.0 when the user may ask now (their cooldown starts), else the seconds left."""
        if self.seconds <= 0:
            return 0.0
        now = self._clock()
        last = self._last.get(user_id)
        if last is not None and now - last < self.seconds:
            return self.seconds - (now - last)
        self._last[user_id] = now
        self._warned.pop(user_id, None)
        if len(self._last) > 10_000:  # forget users whose cooldown is long over
            self._last = {u: t for u, t in self._last.items() if now - t < self.seconds}
        return 0.0

    def first_warning(self, user_id: int) -> bool:
        """True once per cooldown window, so a flood of mentions gets one notice."""
        last = self._last.get(user_id, 0.0)
        if self._warned.get(user_id) == last:
            return False
        self._warned[user_id] = last
        return True
