"""``python -m vllm_pooling_migrate.shim.serve MODEL [flags]``."""

from vllm_pooling_migrate.shim.serve.main import main

raise SystemExit(main())
