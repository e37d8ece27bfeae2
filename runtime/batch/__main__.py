"""``python -m vllm_pooling_migrate.runtime.batch``: the ``vllm-pooling-batch`` command."""

from vllm_pooling_migrate.runtime.batch.cli import main

raise SystemExit(main())
