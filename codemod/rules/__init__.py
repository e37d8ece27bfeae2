"""Every Python rule, in the order their findings are listed. One rule per module."""

from vllm_pooling_migrate.codemod.rules.pool001_llm_task_argument import LlmTaskArgument
from vllm_pooling_migrate.codemod.rules.pool002_engine_args_task_argument import EngineArgsTaskArgument
from vllm_pooling_migrate.codemod.rules.pool003_override_pooler_config import OverridePoolerConfig
from vllm_pooling_migrate.codemod.rules.pool004_multi_task_engine import MultiTaskEngine
from vllm_pooling_migrate.codemod.rules.pool005_implicit_pooling_task import ImplicitPoolingTask
from vllm_pooling_migrate.codemod.rules.pool006_encode_without_task import EncodeWithoutTask
from vllm_pooling_migrate.codemod.rules.pool007_pooling_params_task import PoolingParamsTask
from vllm_pooling_migrate.codemod.rules.pool008_score_default_task import ScoreDefaultTask
from vllm_pooling_migrate.codemod.rules.pool009_llm_reward import LlmReward
from vllm_pooling_migrate.codemod.rules.pool010_activation_flag_rename import ActivationFlagRename
from vllm_pooling_migrate.codemod.rules.pool011_logit_bias_scale import LogitBiasScale
from vllm_pooling_migrate.codemod.rules.pool012_pooler_config_pooling_task import PoolerConfigPoolingTask
from vllm_pooling_migrate.codemod.rules.pool020_pooling_request_without_task import PoolingRequestWithoutTask
from vllm_pooling_migrate.codemod.rules.pool021_score_task_value import ScoreTaskValue

ALL_RULES = [
    LlmTaskArgument,
    EngineArgsTaskArgument,
    OverridePoolerConfig,
    MultiTaskEngine,
    ImplicitPoolingTask,
    EncodeWithoutTask,
    PoolingParamsTask,
    ScoreDefaultTask,
    LlmReward,
    ActivationFlagRename,
    LogitBiasScale,
    PoolerConfigPoolingTask,
    PoolingRequestWithoutTask,
    ScoreTaskValue,
]

RULES_BY_CODE = {rule.CODE: rule for rule in ALL_RULES}
