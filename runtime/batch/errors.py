"""The one job-level error: the CLI prints its message (no traceback) and exits 1.

Row-level problems never raise this: they go to the errors file and the job goes on.
"""

from __future__ import annotations


class BatchError(Exception):
    """A problem with the whole job: an argument, the input file, the output folder, or the final check."""
