"""Errors from commands, buttons and message handlers, answered in one place.

The order, for slash commands (`tree.on_error`), buttons (`View.on_error`) and
message handlers (`Client.on_error`) alike:

1. A failed check (not an operator, wrong channel, cooldown) or a bad option
   value: the check's own message, ephemeral.
2. An expected user error from the core (a question that cannot be asked, an
   unknown article, an article that cannot be read or fetched): its message,
   ephemeral. Logged at INFO.
3. Discord itself failing to take a reply (HTTP 5xx, or 429 after discord.py
   has waited out and retried): logged as a warning, and the user is told to
   try again (when even that reply gets through).
4. Anything else: logged in full with its traceback, and the user gets a short
   generic message. Nothing is swallowed: if even that reply fails, the
   failure is logged too.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.errors import UserError

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
GENERIC_FAILURE = "Something went wrong on my side. It has been logged for the operators; try again later."
_ANSWERED = "answered"  # interaction.extras key, set by `edit_thinking`


async def edit_thinking(interaction: discord.Interaction, **fields: Any) -> discord.InteractionMessage:
    """Replace a deferred "thinking…" response with the answer (`fields` as for
    `Interaction.edit_original_response`, sent with no mention allowed).

    From then on an error is sent as a follow-up rather than in place of the answer.
    Raises discord.HTTPException when Discord refuses the edit.
    """
    message = await interaction.edit_original_response(allowed_mentions=NO_MENTIONS, **fields)
    interaction.extras[_ANSWERED] = True
    return message


def answered(interaction: discord.Interaction) -> bool:
    """Whether the user has been shown an answer: a direct reply, or a deferred one edited
    by `edit_thinking`."""
    if interaction.response.type is discord.InteractionResponseType.channel_message:
        return True
    return bool(interaction.extras.get(_ANSWERED))


def unwrap(error: BaseException) -> BaseException:
    """The exception a command raised, not discord.py's wrapper around it."""
    while isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    return error


def _sentence(text: str) -> str:
    text = text.strip() or "That did not work."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def user_message(error: BaseException) -> str | None:
    """What to tell the user about an expected error; None for an unexpected one."""
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        return "This command has changed since it was registered; an operator needs to sync the commands."
    if isinstance(error, app_commands.CheckFailure):
        return _sentence(str(error) or "You cannot use this command here.")
    if isinstance(error, app_commands.TransformerError):
        return _sentence(f"{error.value!r} is not a valid value here")
    if isinstance(error, UserError):
        return _sentence(str(error))
    return None


def discord_failure(error: BaseException) -> str | None:
    """What to tell the user when Discord would not take a reply; None for other errors."""
    if isinstance(error, discord.DiscordServerError) or (
        isinstance(error, discord.HTTPException) and error.status == 429
    ):
        return f"Discord did not accept my reply (HTTP {error.status}); please try again in a moment."
    return None


def _explain(error: BaseException, where: str) -> str:
    """Log `error` as its kind deserves and return what the user is told."""
    text = user_message(error)
    if text is not None:
        log.info("%s refused: %s", where, text)
        return text
    text = discord_failure(error)
    if text is not None:
        assert isinstance(error, discord.HTTPException)
        log.warning("%s: Discord answered HTTP %s (%s)", where, error.status, error.text or "no details")
        return text
    log.error("%s failed", where, exc_info=error)
    return GENERIC_FAILURE


def _where(interaction: discord.Interaction) -> str:
    name = interaction.command.qualified_name if interaction.command else interaction.type.name
    where = f"guild {interaction.guild_id}, channel {interaction.channel_id}"
    return f"/{name} (user {interaction.user.id}, {where})"


async def answer_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user what went wrong (ephemeral when the reply is still open) and log it."""
    text = _explain(unwrap(error), _where(interaction))
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        elif not answered(interaction):
            # Deferred: the "thinking…" message becomes the error (ephemeral if it was).
            await interaction.edit_original_response(
                content=text, embeds=[], attachments=[], view=None, allowed_mentions=NO_MENTIONS
            )
        else:
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.exception("could not tell the user about an error in %s", _where(interaction))


async def answer_message_error(message: discord.Message | None, error: BaseException, event: str) -> None:
    """The same for message handlers: a short reply to the message."""
    if message is None:
        where = event
    else:
        where = f"{event} (message {message.id}, user {message.author.id}, channel {message.channel.id})"
    text = _explain(unwrap(error), where)
    if message is None:
        return
    try:
        await message.reply(text, mention_author=False, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.exception("could not reply about an error in %s", where)
