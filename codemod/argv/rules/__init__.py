"""The argv rules, one per file; ``RULES`` is the order they run in."""

from __future__ import annotations

from vllm_pooling_migrate.codemod.argv.rules import (
    pool013_task_flag,
    pool014_override_pooler_config,
    pool015_pooler_config_legacy_key,
    pool016_dotted_key_dash,
    pool017_convert_reward,
    pool018_pooler_config_mixed_forms,
    pool019_server_without_task,
)

RULES = (
    pool013_task_flag,
    pool014_override_pooler_config,
    pool015_pooler_config_legacy_key,
    pool016_dotted_key_dash,
    pool017_convert_reward,
    pool018_pooler_config_mixed_forms,
    pool019_server_without_task,
)
