"""Writing shards: atomic part and errors files, the job manifest and lock, resuming, and the final check."""

from __future__ import annotations

from vllm_pooling_migrate.runtime.batch.shards.atomic import JobLock
from vllm_pooling_migrate.runtime.batch.shards.manifest import (
    input_fingerprint,
    make_output_folder,
    prepare_output,
    read_manifest,
)
from vllm_pooling_migrate.runtime.batch.shards.store import ShardInfo, ShardStore
from vllm_pooling_migrate.runtime.batch.shards.verify import CheckedOutput, verify_output

__all__ = ["CheckedOutput", "JobLock", "ShardInfo", "ShardStore", "input_fingerprint", "make_output_folder",
           "prepare_output", "read_manifest", "verify_output"]
