"""Who may use what, where, and how often: operators, allowed channels, cooldowns."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.discord.client import ArticleBot


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
    """What a user who asked too soon is told; `retry_after` in seconds, shown rounded, at least 1."""
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


def _user_id(user_id: int) -> int:
    return user_id


class Cooldowns:
    """One question per user every `seconds`, shared by mentions and slash commands.

    Two of discord.py's cooldown mappings keyed by user id (1 use per `seconds`
    each): one for questions, one for the notice that the user has to wait, which
    starts afresh with each question let through. `clock` gives seconds; buckets
    not used for `seconds` are dropped by the mapping.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._questions = commands.CooldownMapping(app_commands.Cooldown(1, seconds), _user_id)
        self._notices = commands.CooldownMapping(app_commands.Cooldown(1, seconds), _user_id)

    def hit(self, user_id: int) -> float:
        """0.0 when the user may ask now (their cooldown starts), else the seconds left (> 0)."""
        if self.seconds <= 0:
            return 0.0
        now = self._clock()
        retry_after = self._questions.update_rate_limit(user_id, now)
        if retry_after:
            return retry_after
        notices = self._notices.get_bucket(user_id, now)
        assert notices is not None  # a mapping with a cooldown always has a bucket
        notices.reset()
        return 0.0

    def first_warning(self, user_id: int) -> bool:
        """True once per cooldown window, so a flood of mentions gets one notice."""
        return self._notices.update_rate_limit(user_id, self._clock()) is None


class OperatorCommands(commands.Cog):
    """A cog of operator commands. `default_member_permissions` (Manage Server) only hides
    them from members, and server admins can change who sees them, so every command is
    checked again when it runs: Manage Server, a role in OPERATOR_ROLE_IDS or a user in
    OPERATOR_USER_IDS (else NotOperator, answered by errors.py)."""

    def __init__(self, bot: ArticleBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if not is_operator(self.bot.settings, interaction.user, interaction.permissions):
            raise NotOperator()
        return True
