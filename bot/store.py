# TEMPORARY re-export for the merge; removed with the restructuring
from bot.errors import describe_os_error as describe_os_error
from bot.index import *  # noqa: F403
