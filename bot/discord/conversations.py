"""Who asked what, where: the earlier question a follow-up is read with.

Three places give a message an earlier question and answer: the answer it
replies to (AnswerMemory), the thread it is in when that thread hangs from an
answer or already holds one, and the same person's previous question in the
same channel a short while ago. The first two make a message a follow-up; the
last is only a possibility, so the core weighs the question with and without it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from bot.discord.feedback import AnsweredQuestion

FOLLOW_UP_SECONDS = 300.0  # a person's next question within this long may follow up on the last


class Conversations:
    """The latest answered question per (channel, user) and per channel (threads included).

    Bounded: the `size` least recently used places are kept. `clock` gives seconds.
    """

    def __init__(self, size: int = 5000, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.clock = clock
        self._items: OrderedDict[tuple[int, int | None], tuple[float, AnsweredQuestion]] = OrderedDict()

    def remember(self, channel_id: int, user_id: int, item: AnsweredQuestion) -> None:
        """Keep `item` as the latest of this user and of the channel, as of now."""
        now = self.clock()
        for key in ((channel_id, user_id), (channel_id, None)):
            self._items[key] = (now, item)
            self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def last(
        self, channel_id: int, user_id: int | None = None, max_age: float | None = None
    ) -> AnsweredQuestion | None:
        """The latest question of `user_id` in the channel (of anyone when None), if
        it is at most `max_age` seconds old."""
        found = self._items.get((channel_id, user_id))
        if found is None:
            return None
        when, item = found
        if max_age is not None and self.clock() - when > max_age:
            return None
        return item
