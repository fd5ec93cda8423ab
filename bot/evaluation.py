from tools.evaluate import (
    is_hit as is_hit,  # TEMPORARY re-export for the merge; removed with the restructuring
)
