# TEMPORARY re-export for the merge; removed with the restructuring
import sys

from bot.index import vectors
from bot.index.vectors import *  # noqa: F403

# One module under both names, so that tests/test_bench.py setting bot.vectors.EXACT_LIMIT still applies.
sys.modules[__name__] = vectors
