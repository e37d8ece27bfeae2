"""``vllm-pooling-batch``'s command line, and its translation into :class:`BatchOptions`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from vllm_pooling_migrate.runtime.batch.columns import BATCH_TASKS
from vllm_pooling_migrate.runtime.batch.errors import BatchError

DESCRIPTION = """\
Pool every row of a JSONL, CSV or Parquet file with a vLLM pooling model (the shim's LLM on the runtime engine)
and write the results as Parquet shards: one engine per task, the input streamed in chunks, each shard written
atomically, rows that fail kept in <output>/_errors.jsonl with vLLM's message.

  vllm-pooling-batch MODEL --task embed --input docs.jsonl --output vectors.parquet
  vllm-pooling-batch MODEL --task embed --task classify --input docs.parquet --output out/ --resume
  vllm-pooling-batch MODEL --task score --pair-columns query,document --input pairs.csv --output scores/
  vllm-pooling-batch MODEL --task embed --input docs.jsonl --output out/ --ray --num-actors 4

Exit status: 0 all rows written; 3 finished, but some rows are in the errors file; 1 the job failed (the
message says why; rerun with --resume to continue); 2 bad arguments.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vllm-pooling-batch", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a local model folder, or a repo id in the local Hugging Face cache")
    parser.add_argument("--task", action="append", required=True, choices=BATCH_TASKS, dest="tasks",
                        help="what to compute; repeat for several tasks (each runs its own engine)")
    parser.add_argument("--input", required=True, type=Path, help="a .jsonl, .csv or .parquet file")
    parser.add_argument("--output", required=True, type=Path, help="a folder of Parquet shards (made if missing)")

    source = parser.add_argument_group("input columns")
    source.add_argument("--input-format", choices=("jsonl", "csv", "parquet"), help="default: from the suffix")
    source.add_argument("--id-column", help="copied to the output (default: 'id' if present, else row numbers)")
    source.add_argument("--text-column", default="text", help="the text to pool (default: text)")
    source.add_argument("--pair-columns", type=_pair, metavar="FIRST,SECOND", help="the two texts for --task score")
    source.add_argument("--token-ids-column", help="pool lists of token ids from this column instead of text")

    engine = parser.add_argument_group("engine (vLLM's names)")
    engine.add_argument("--truncate-prompt-tokens", type=int, metavar="K",
                        help="keep the last K tokens of longer prompts (-1: the model's length); "
                             "without it, a too-long row goes to the errors file")
    engine.add_argument("--dtype", default="auto", help="auto, float32, bfloat16 or float16 (default: auto)")
    engine.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    engine.add_argument("--max-num-batched-tokens", type=int, metavar="N")
    engine.add_argument("--max-num-seqs", type=int, metavar="N")
    engine.add_argument("--max-model-len", type=int, metavar="N")
    engine.add_argument("--pooler-config", type=_json_object, metavar="JSON",
                        help="PoolerConfig fields, e.g. '{\"dimensions\": 256}' (its task is set per --task)")
    engine.add_argument("--hf-overrides", type=_json_object, metavar="JSON")
    engine.add_argument("--trust-remote-code", action="store_true")
    engine.add_argument("--num-threads", type=int, metavar="N", help="torch threads in process (default: torch's)")

    job = parser.add_argument_group("job")
    job.add_argument("--chunk-rows", type=int, metavar="N",
                     help="rows per shard, the unit of writing and resuming (default: 4096; 512 for token tasks)")
    job.add_argument("--batch-rows", type=int, default=1024, metavar="N", help="rows per engine call (default: 1024)")
    job.add_argument("--resume", action="store_true", help="finish a job whose output folder exists")
    job.add_argument("--no-progress", action="store_true", help="no progress bar")

    ray = parser.add_argument_group("Ray Data (needs the 'ray' extra)")
    ray.add_argument("--ray", action="store_true", help="run the tasks as Ray actor pools (a local Ray by default)")
    ray.add_argument("--ray-address", metavar="ADDRESS", help="join this Ray cluster (implies --ray)")
    ray.add_argument("--ray-num-cpus", type=int, metavar="N", help="CPUs of a local Ray (default: all)")
    ray.add_argument("--num-actors", type=int, metavar="N", help="actors per task (default: what the cluster fits)")
    ray.add_argument("--cpus-per-actor", type=float, default=1.0, metavar="C",
                     help="CPUs (and torch threads) per actor (default: 1)")
    ray.add_argument("--gpus-per-actor", type=float, metavar="G",
                     help="GPUs per actor (default: 1 when the cluster has GPUs, else 0)")
    return parser


def options_from(arguments: argparse.Namespace):
    from vllm_pooling_migrate.runtime.batch.job import BatchOptions, RayOptions

    ray = None
    if arguments.ray_address and arguments.ray_num_cpus is not None:
        raise BatchError("--ray-num-cpus sizes a local Ray; a cluster at --ray-address has its own CPUs")
    if arguments.ray or arguments.ray_address:
        ray = RayOptions(address=arguments.ray_address, num_cpus=arguments.ray_num_cpus,
                         num_actors=arguments.num_actors, cpus_per_actor=arguments.cpus_per_actor,
                         gpus_per_actor=arguments.gpus_per_actor)
    elif arguments.num_actors is not None or arguments.ray_num_cpus is not None:
        raise BatchError("--num-actors and --ray-num-cpus need --ray or --ray-address")
    llm_kwargs = {}
    if arguments.hf_overrides:
        llm_kwargs["hf_overrides"] = arguments.hf_overrides
    if arguments.trust_remote_code:
        llm_kwargs["trust_remote_code"] = True
    return BatchOptions(
        model=arguments.model, tasks=tuple(arguments.tasks), input=arguments.input, output=arguments.output,
        input_format=arguments.input_format, id_column=arguments.id_column, text_column=arguments.text_column,
        pair_columns=arguments.pair_columns, token_ids_column=arguments.token_ids_column,
        chunk_rows=arguments.chunk_rows, batch_rows=arguments.batch_rows,
        truncate_prompt_tokens=arguments.truncate_prompt_tokens, dtype=arguments.dtype, device=arguments.device,
        max_num_batched_tokens=arguments.max_num_batched_tokens, max_num_seqs=arguments.max_num_seqs,
        max_model_len=arguments.max_model_len, pooler_config=arguments.pooler_config,
        num_threads=arguments.num_threads, resume=arguments.resume, progress=not arguments.no_progress, ray=ray,
        llm_kwargs=llm_kwargs,
    )


def _pair(value: str) -> tuple[str, str]:
    names = [name.strip() for name in value.split(",")]
    if len(names) != 2 or not all(names):
        raise argparse.ArgumentTypeError(f"expected two column names separated by a comma, got {value!r}")
    return names[0], names[1]


def _json_object(value: str) -> dict:
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not valid JSON ({error}): {value!r}") from None
    if not isinstance(parsed, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {value!r}")
    return parsed
