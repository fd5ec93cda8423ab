# TEMPORARY re-export for the merge; removed with the restructuring
from tools.evaluate import is_hit as is_hit
