"""Every Python rule, in the order their findings are listed. One rule per module."""

from codemod.rules.pool001_llm_task_argument import LlmTaskArgument
from codemod.rules.pool002_engine_args_task_argument import EngineArgsTaskArgument
from codemod.rules.pool003_override_pooler_config import OverridePoolerConfig
from codemod.rules.pool004_multi_task_engine import MultiTaskEngine
from codemod.rules.pool005_implicit_pooling_task import ImplicitPoolingTask
from codemod.rules.pool006_encode_without_task import EncodeWithoutTask
from codemod.rules.pool007_pooling_params_task import PoolingParamsTask
from codemod.rules.pool008_score_default_task import ScoreDefaultTask
from codemod.rules.pool009_llm_reward import LlmReward
from codemod.rules.pool010_activation_flag_rename import ActivationFlagRename
from codemod.rules.pool011_logit_bias_scale import LogitBiasScale
from codemod.rules.pool012_pooler_config_pooling_task import PoolerConfigPoolingTask
from codemod.rules.pool020_pooling_request_without_task import PoolingRequestWithoutTask
from codemod.rules.pool021_score_task_value import ScoreTaskValue

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
