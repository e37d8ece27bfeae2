"""The shim's task tables speak the one typed vocabulary (``vllm_pooling_migrate.tasks``), and its dynamically set
config fields are the ones it declares for the type checker."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate.shim import config, tasks
from vllm_pooling_migrate.tasks import POOLING_TASKS, is_pooling_task


def test_default_task_priority_ranks_every_pooling_task_once():
    assert sorted(tasks.DEFAULT_TASK_PRIORITY) == sorted(POOLING_TASKS)


@pytest.mark.parametrize(
    "table",
    [tasks.EMBED_LIKE, tasks.CLASSIFY_LIKE, tasks.SCORE_TYPE_BY_DEFAULT_TASK, tasks.TASK_BY_SCORE_TYPE.values(),
     config._VALID_PARAMETERS],
    ids=["EMBED_LIKE", "CLASSIFY_LIKE", "SCORE_TYPE_BY_DEFAULT_TASK", "TASK_BY_SCORE_TYPE", "_VALID_PARAMETERS"],
)
def test_task_tables_name_only_pooling_tasks(table):
    assert set(table) <= set(POOLING_TASKS)


def test_is_pooling_task_accepts_exactly_the_vocabulary():
    assert all(is_pooling_task(task) for task in POOLING_TASKS)
    assert not any(is_pooling_task(value) for value in ("score", "reward", "Embed", "", None, 3))


def test_declared_fields_are_the_fields_set_on_each_instance():
    assert set(config.PoolerConfig.__annotations__) == set(config._FIELDS_0_20)
    assert set(config.PoolingParams.__annotations__) == set(config._POOLING_PARAMS_FIELDS)
