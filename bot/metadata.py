from bot.answering.metadata import *  # noqa: F403  # TEMPORARY re-export for the merge; removed with the restructuring
