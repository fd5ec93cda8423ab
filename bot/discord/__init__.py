"""The Discord front end: a thin adapter around the question-answering core.

One module per feature area: `asking` (mentions, replies, /ask), `quickfacts`
(/facts, /summary, /search, /sources), `operators` (/reindex, /article,
/status) and `feedback` (👍/👎 buttons). `client` builds the bot around the
core and the settings it is given; `errors` answers every failure in one
place; `render` keeps every message within Discord's limits.
"""

from bot.discord.client import ArticleBot, create_bot, run_bot, serve, sync, sync_commands
from bot.errors import StartError

__all__ = ["ArticleBot", "StartError", "create_bot", "run_bot", "serve", "sync", "sync_commands"]
