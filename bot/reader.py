# TEMPORARY re-export for the merge; removed with the restructuring
from bot.answering.reader import *  # noqa: F403
from bot.errors import ReaderError as ReaderError
