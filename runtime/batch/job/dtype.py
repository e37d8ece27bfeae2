"""One dtype per job. The engine's ``dtype="auto"`` on a CPU times bf16 against fp32 in each process, so two
processes (a run and its resume, two Ray actors) may choose differently and write different numbers. The job
decides once, as the engine would on the driver's device, and every stage, actor and resume gets that choice;
the manifest records it."""

from __future__ import annotations

from typing import Any

from vllm_pooling_migrate.runtime.batch.job.options import BatchOptions


def decide_dtype(options: BatchOptions, previous_job: dict[str, Any] | None) -> str:
    """``options.dtype`` when given; on a resume of an ``auto`` job, what the first run chose; else the engine's
    own choice for this model here. ``auto`` stays when the model is not on this machine (a Ray cluster's)."""
    if options.dtype != "auto":
        return options.dtype
    if previous_job is not None:
        chosen = previous_job.get("engine", {}).get("dtype")
        if chosen:
            return chosen
    from vllm_pooling_migrate.runtime.backbones import packs
    from vllm_pooling_migrate.runtime.devices import resolve_device, resolve_dtype_choice
    from vllm_pooling_migrate.runtime.loading import load_config, resolve_model_dir

    try:
        path = resolve_model_dir(options.model)
    except FileNotFoundError:
        return "auto"
    overrides, remote_code = options.llm_kwargs.get("hf_overrides"), options.llm_kwargs.get("trust_remote_code")
    config = load_config(path, overrides, bool(remote_code))
    choice = resolve_dtype_choice("auto", resolve_device(options.device), config, packed_residual=packs(config))
    return str(choice.dtype).removeprefix("torch.")
