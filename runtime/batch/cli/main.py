"""``vllm-pooling-batch`` / ``python -m vllm_pooling_migrate.runtime.batch``: run the job, print its summary,
exit with its status (0 done, 3 done with failed rows, 1 the job failed, 2 bad arguments)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from vllm_pooling_migrate.runtime.batch.cli.arguments import build_parser, options_from
from vllm_pooling_migrate.runtime.batch.errors import BatchError

EXIT_FAILED = 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        from vllm_pooling_migrate.runtime.batch.job import run_batch

        summary = run_batch(options_from(arguments))
    except BatchError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(summary.describe(), file=sys.stderr)
    return summary.exit_code
