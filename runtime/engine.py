"""The pooling engine: one loaded backbone, light poolers and heads per task, batched execution."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from vllm_pooling_migrate.runtime.backbones import build_backbone, packs
from vllm_pooling_migrate.runtime.batching import (
    PackedBatch,
    is_integer,
    Prompt,
    TokenizedPrompt,
    pack,
    plan_batches,
    tokenize_prompts,
    truncation_length,
)
from vllm_pooling_migrate.runtime.devices import (
    DtypeChoice,
    HeapTrimmer,
    configure_threads,
    resolve_device,
    resolve_dtype_choice,
    run_splitting_on_oom,
)
from vllm_pooling_migrate.runtime.heads import BgeM3Heads, ClassifierActivation, ClassifierHead, EmbeddingHead, classifiers_of
from vllm_pooling_migrate.runtime.loading import (
    check_tokenizer_files,
    load_bge_m3_linears,
    load_colbert_linear,
    load_config,
    load_dense_projector,
    load_model,
    load_tokenizer,
    read_st_folder,
    resolve_model_dir,
    st_activation_name,
)
from vllm_pooling_migrate.runtime.model_info import (
    BGE_M3_ARCHITECTURE,
    CONVERT_OPTIONS,
    ModelInfo,
    architecture_score_type,
    classifier_labels,
    default_pooling_types,
    is_colbert,
    model_max_len,
    runner_and_convert,
    supported_tasks,
)
from vllm_pooling_migrate.runtime.poolers import HeadSettings, TaskPooler, build_task_poolers
from vllm_pooling_migrate.runtime.scoring import SCORE_TYPES, cosine_scores, maxsim
from vllm_pooling_migrate.runtime.settings import PoolerSettings, resolve_settings
from vllm_pooling_migrate.runtime.tokenization import TextEncoder
from vllm_pooling_migrate.tasks import PoolingTask

if TYPE_CHECKING:
    from transformers import PreTrainedModel

# (tokens, sequences) per forward pass. CPU fp32: small batches stay in cache (1k–2k tokens measured best on
# all-MiniLM-L6-v2); CPU bf16 on AMX and GPUs: larger batches keep the matrix units busy (8k best on AMX).
_DEFAULT_BATCH_LIMITS = {"cpu-fp32": (2048, 128), "cpu-half": (8192, 256), "cuda": (32768, 1024)}
# Prompts per tokenizer call when tokenization runs ahead of a GPU; each chunk is sorted and batched on its own.
_TOKENIZE_AHEAD_CHUNK = 8192
# On a CPU, the heap's free pages go back to the OS once RSS has grown this much since the last trim (devices.py):
# checked after each call, and after each batch with a higher bar: bf16 batches of 8,192 tokens leave free heap that
# the next batch reuses (a 64 MB bar per batch trimmed after every batch, ~2% of the time; 256 MB after none).
_TRIM_AFTER_GROWTH_BYTES = 64 << 20
_TRIM_MID_CALL_GROWTH_BYTES = 256 << 20


#: One side of a score pair: a text or token ids.
ScoreInput = str | Sequence[int]


def _score_pair(pair: object, index: int) -> tuple[ScoreInput, ScoreInput]:
    if not isinstance(pair, tuple | list) or len(pair) != 2:
        raise TypeError(f"Score pair {index} must be a (left, right) tuple, got {pair!r}")
    left, right = pair
    for side in (left, right):
        if not isinstance(side, str | list | tuple):
            raise TypeError(f"Score pair {index}: each side is a text or a list of token ids, got "
                            f"{type(side).__name__}")
    return left, right


@dataclass
class TaskParams:
    """Per-request overrides; None takes the engine's pooler setting, then True (spec §9.2)."""

    use_activation: bool | None = None
    dimensions: int | None = None


@dataclass
class PoolingResult:
    data: torch.Tensor  # float32, on the CPU
    prompt_token_ids: list[int]


class PoolingEngine:
    def __init__(
        self,
        *,
        model: PreTrainedModel,
        tokenizer,
        info: ModelInfo,
        settings: PoolerSettings,
        embedding_head: EmbeddingHead,
        classifier_head: ClassifierHead | None,
        bge_m3_heads: BgeM3Heads | None,
        device: torch.device,
        dtype: torch.dtype,
        max_num_batched_tokens: int,
        max_num_seqs: int,
        token_embedding_head: EmbeddingHead | None = None,
    ):
        self.model = model
        self.tokenizer = tokenizer
        self.info = info
        self.settings = settings
        self.device = device
        self.dtype = dtype
        self.max_num_batched_tokens = max_num_batched_tokens
        self.max_num_seqs = max_num_seqs
        #: What ``dtype`` resolved to and why (``load_engine`` sets it; an explicit dtype reads "asked for").
        self.dtype_choice = DtypeChoice(dtype, "asked for")
        # Tokenization never touches ``tokenizer`` (the user's object): a private, stateless copy does it.
        self.text_encoder = TextEncoder(tokenizer)
        self.vocab_size = _embedding_rows(model)
        # On a CPU, tokenizing ahead would take cores from the model: one call for all prompts there.
        self.tokenize_ahead_chunk = _TOKENIZE_AHEAD_CHUNK if device.type == "cuda" else None
        self._heap_trimmer = HeapTrimmer(_TRIM_AFTER_GROWTH_BYTES) if device.type == "cpu" else None
        poolers = build_task_poolers(settings, embedding_head, classifier_head, bge_m3_heads, token_embedding_head)
        # One pooler per task the model reports (spec §3.2); the embedding head alone would also serve embed on
        # a classifier, which vLLM does not offer.
        self._poolers: dict[PoolingTask, TaskPooler] = {task: poolers[task] for task in info.supported_tasks}
        base_model = model if classifier_head is None else model.base_model
        # On a CPU the fp32 residual stream costs little next to the GEMMs; on a GPU it would double the
        # memory traffic of the elementwise work, which dominates small encoders there. Bucketed GEMM rows bound
        # the CPU's per-shape memory (oneDNN, glibc); CUDA's caching allocator has no such growth.
        on_cpu = device.type == "cpu"
        self._backbone = build_backbone(
            base_model, _pad_token_id(model.config, tokenizer), fp32_residual=on_cpu, bucket_rows=on_cpu
        )

    def run(
        self,
        task: PoolingTask,
        prompts: Sequence[Prompt],
        params: TaskParams | Sequence[TaskParams] | None = None,
        *,
        use_tqdm: bool = False,
        truncate_prompt_tokens: int | None = None,
    ) -> list[PoolingResult]:
        if task not in self.info.supported_tasks:
            raise ValueError(f"Unsupported task: {task!r} Supported tasks: {list(self.info.supported_tasks)}")
        prompt_list = list(prompts)
        request_params = _expand_params(params, len(prompt_list))
        truncate_to = truncation_length(truncate_prompt_tokens, self.info.max_model_len)

        def tokenize(chunk: range) -> list[TokenizedPrompt]:
            selected = [prompt_list[i] for i in chunk]
            return tokenize_prompts(
                self.text_encoder,
                selected,
                max_model_len=self.info.max_model_len,
                truncate_to=truncate_to,
                vocab_size=self.vocab_size,
            )

        count = len(prompt_list)
        chunk_size = self.tokenize_ahead_chunk or max(count, 1)
        chunks = [range(start, min(start + chunk_size, count)) for start in range(0, count, chunk_size)]
        results: list[PoolingResult] = []
        progress = _progress_bar(count, use_tqdm)
        for chunk, tokenized in zip(chunks, _tokenize_ahead(tokenize, chunks), strict=True):
            outputs = self._execute(task, tokenized, [request_params[i] for i in chunk], progress)
            results += [PoolingResult(data, prompt.token_ids) for data, prompt in zip(outputs, tokenized)]
        if progress is not None:
            progress.close()
        return results

    def embed_in_chunks(self, prompts: Sequence[str | Sequence[int]],
                        params: TaskParams | Sequence[TaskParams] | None = None, *,
                        use_tqdm: bool = False) -> list[PoolingResult]:
        """``embed`` without a length limit, as vLLM's chunked processing (``runtime/chunking.py``)."""
        from vllm_pooling_migrate.runtime.chunking import embed_in_chunks

        return embed_in_chunks(self, prompts, params, use_tqdm=use_tqdm)

    def score(
        self,
        pairs: Sequence[tuple[ScoreInput, ScoreInput]],
        score_type: str,
        *,
        use_activation: bool | None = None,
        use_tqdm: bool = False,
        truncate_prompt_tokens: int | None = None,
    ) -> list[float]:
        """One score per pair (spec §10.4). Each side is a text or token ids; a cross-encoder needs texts."""
        details = self.score_details(
            pairs, score_type, use_activation=use_activation, use_tqdm=use_tqdm,
            truncate_prompt_tokens=truncate_prompt_tokens,
        )
        return [score for score, _ in details]

    def score_details(
        self,
        pairs: Sequence[tuple[ScoreInput, ScoreInput]],
        score_type: str,
        *,
        use_activation: bool | None = None,
        use_tqdm: bool = False,
        truncate_prompt_tokens: int | None = None,
    ) -> list[tuple[float, list[int]]]:
        """``score`` with the token ids the model saw for each pair: the pair prompt (cross-encoder), or both
        sides' ids one after the other (bi-encoder, late interaction), as vLLM reports them."""
        if score_type not in SCORE_TYPES:
            raise ValueError(f"Unknown score type {score_type!r}; expected one of {list(SCORE_TYPES)}")
        pair_list = [_score_pair(pair, index) for index, pair in enumerate(pairs)]
        if not pair_list:
            return []
        params = TaskParams(use_activation=use_activation)
        if score_type == "cross-encoder":
            text_pairs: list[Prompt] = []
            for index, (left, right) in enumerate(pair_list):
                if not isinstance(left, str) or not isinstance(right, str):
                    raise ValueError(
                        f"Pair {index}: a cross-encoder scores the two texts together; token-id inputs cannot be "
                        "paired (pass the texts)"
                    )
                text_pairs.append((left, right))
            scored = self.run(
                "classify", text_pairs, params, use_tqdm=use_tqdm, truncate_prompt_tokens=truncate_prompt_tokens
            )
            return [(r.data[0].item(), r.prompt_token_ids) for r in scored]
        sides: list[Prompt] = [left for left, _ in pair_list]
        sides += [right for _, right in pair_list]
        task: PoolingTask = "embed" if score_type == "bi-encoder" else "token_embed"
        embedded = self.run(task, sides, params, use_tqdm=use_tqdm, truncate_prompt_tokens=truncate_prompt_tokens)
        left_results, right_results = embedded[: len(pair_list)], embedded[len(pair_list) :]
        if score_type == "bi-encoder":
            scores = cosine_scores([r.data for r in left_results], [r.data for r in right_results])
        else:
            scores = [maxsim(q.data, d.data) for q, d in zip(left_results, right_results)]
        return [
            (score, q.prompt_token_ids + d.prompt_token_ids)
            for score, q, d in zip(scores, left_results, right_results, strict=True)
        ]

    # -- execution -------------------------------------------------------------------------------------------

    def _execute(
        self, task: PoolingTask, prompts: list[TokenizedPrompt], params: list[TaskParams], progress
    ) -> list[torch.Tensor]:
        batches = plan_batches(
            [len(p.token_ids) for p in prompts], max_tokens=self.max_num_batched_tokens, max_seqs=self.max_num_seqs
        )
        outputs: dict[int, torch.Tensor] = {}
        pending: _Download | None = None

        def run_batch(indices: Sequence[int]) -> list[torch.Tensor]:
            return self._run_batch(task, pack(prompts, list(indices)).to(self.device), params)

        with torch.inference_mode():
            for indices in batches:
                for piece, results in run_splitting_on_oom(run_batch, indices):
                    # Start this batch's copy to the host, then collect the previous one: on CUDA the GPU is
                    # already working on the next batch while the host waits.
                    download = _Download(piece, results)
                    if pending is not None:
                        pending.finish_into(outputs)
                    pending = download
                if progress is not None:
                    progress.update(len(indices))
                if self._heap_trimmer is not None:  # a long call's peak stays bounded too
                    self._heap_trimmer.check(_TRIM_MID_CALL_GROWTH_BYTES)
            if pending is not None:
                pending.finish_into(outputs)
        if self._heap_trimmer is not None:
            self._heap_trimmer.check()
        return [outputs[index] for index in range(len(prompts))]

    def _run_batch(self, task: PoolingTask, batch: PackedBatch, params: list[TaskParams]) -> list[torch.Tensor]:
        hidden = self._backbone(batch)
        requests = [self._head_settings(params[i]) for i in batch.indices]
        return self._poolers[task](hidden, batch, requests)

    def _head_settings(self, params: TaskParams) -> HeadSettings:
        return HeadSettings(dimensions=self._dimensions(params), use_activation=self._use_activation(params))

    def _use_activation(self, params: TaskParams) -> bool:
        for value in (params.use_activation, self.settings.use_activation):
            if value is not None:
                return value
        return True

    def _dimensions(self, params: TaskParams) -> int | None:
        return params.dimensions if params.dimensions is not None else self.settings.dimensions


class _Download:
    """Device→host copy of one batch's outputs as a single flat transfer into pinned memory, finished later."""

    def __init__(self, indices: Sequence[int], results: list[torch.Tensor]):
        self.indices = indices
        self.shapes = [r.shape for r in results]
        self.event = None
        if results and results[0].device.type == "cuda":
            flat = torch.cat([r.reshape(-1) for r in results])
            self.host = torch.empty(flat.shape, dtype=flat.dtype, pin_memory=True)
            self.host.copy_(flat, non_blocking=True)
            self.event = torch.cuda.Event()
            self.event.record()
        else:
            self.results = results

    def finish_into(self, outputs: dict[int, torch.Tensor]) -> None:
        if self.event is not None:
            self.event.synchronize()
            sizes = [shape.numel() for shape in self.shapes]
            self.results = [t.view(s) for t, s in zip(torch.split(self.host, sizes), self.shapes)]
        for index, result in zip(self.indices, self.results):
            outputs[index] = result


def _tokenize_ahead(
    tokenize: Callable[[range], list[TokenizedPrompt]], chunks: list[range]
) -> Iterator[list[TokenizedPrompt]]:
    """Each chunk's tokens in turn. The next chunk is tokenized on a worker thread (the fast tokenizer releases
    the GIL) while the caller runs the current one on the device."""
    if not chunks:
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        upcoming = pool.submit(tokenize, chunks[0])
        for following in chunks[1:]:
            tokenized = upcoming.result()
            upcoming = pool.submit(tokenize, following)
            yield tokenized
        yield upcoming.result()


def _expand_params(params: TaskParams | Sequence[TaskParams] | None, count: int) -> list[TaskParams]:
    if params is None:
        return [TaskParams()] * count
    if isinstance(params, TaskParams):
        return [params] * count
    params = list(params)
    if len(params) != count:
        raise ValueError(f"Got {len(params)} params for {count} prompts; pass one, or one per prompt")
    return params


def _progress_bar(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="Processed prompts", unit="prompt")


def _embedding_rows(model: nn.Module) -> int | None:
    """How many token ids the model can embed (None when the model does not say)."""
    get_embeddings = getattr(model, "get_input_embeddings", None)
    embeddings = get_embeddings() if callable(get_embeddings) else None
    return getattr(embeddings, "num_embeddings", None)


def _pad_token_id(config, tokenizer) -> int:
    for value in (getattr(config, "pad_token_id", None), tokenizer.pad_token_id, tokenizer.eos_token_id):
        if value is not None:
            return value
    return 0


def load_engine(
    model: str | os.PathLike[str],
    *,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype = "auto",
    max_model_len: int | None = None,
    trust_remote_code: bool = False,
    hf_overrides: Mapping[str, Any] | None = None,
    seed: int | None = None,
    convert: str = "auto",
    pooler_overrides: Mapping[str, Any] | None = None,
    max_num_batched_tokens: int | None = None,
    max_num_seqs: int | None = None,
    num_threads: int | None = None,
) -> PoolingEngine:
    if convert not in CONVERT_OPTIONS:  # from here on, convert is a ConvertOption
        raise ValueError(f"convert must be 'auto', 'none', 'embed' or 'classify', got {convert!r}")
    check_engine_arguments(
        max_model_len=max_model_len,
        seed=seed,
        max_num_batched_tokens=max_num_batched_tokens,
        max_num_seqs=max_num_seqs,
        num_threads=num_threads,
    )
    if hf_overrides is not None and not isinstance(hf_overrides, Mapping):
        raise TypeError(f"hf_overrides must be a dict of config attributes, got {type(hf_overrides).__name__}")
    if pooler_overrides is not None and not isinstance(pooler_overrides, Mapping):
        raise TypeError(f"pooler_overrides must be a dict, got {type(pooler_overrides).__name__}")
    path = resolve_model_dir(model)
    config = load_config(path, hf_overrides, trust_remote_code)
    check_tokenizer_files(path)  # before the weights: a folder without a tokenizer is refused at once
    st_folder = read_st_folder(path)
    architectures = tuple(getattr(config, "architectures", None) or ())
    model_type = config.model_type
    runner, model_convert = runner_and_convert(
        architectures, model_type, has_st_pooling=st_folder.pooling is not None, convert=convert
    )
    torch_device = resolve_device(device)
    configure_threads(num_threads)  # before the dtype probe, which times GEMMs at this thread count
    dtype_choice = resolve_dtype_choice(dtype, torch_device, config, packed_residual=packs(config))
    torch_dtype = dtype_choice.dtype
    if seed is not None:
        torch.manual_seed(seed)  # heads the checkpoint lacks are initialised randomly
    load_as = model_convert if runner == "pooling" else "embed"
    hf_model = load_model(path, config, load_as, torch_dtype, trust_remote_code)
    # transformers wraps PreTrainedModel.to with functools.wraps, whose stub keeps nn.Module.to's unbound self.
    hf_model = hf_model.to(torch_device)  # type: ignore[arg-type]
    tokenizer = load_tokenizer(path, trust_remote_code)
    settings = resolve_settings(pooler_overrides, st_folder.pooling, default_pooling_types(model_type))
    projector = load_dense_projector(st_folder.dense_dirs)
    if projector is not None:
        projector.to(torch_device)

    is_classifier = load_as == "classify"
    st_activation = st_activation_name(config)
    id2label = classifier_labels(config) if is_classifier else {}
    classifier_head = None
    if is_classifier:
        sequence_classifier, token_classifier = classifiers_of(hf_model)
        classifier_head = ClassifierHead(
            sequence_classifier,
            token_classifier,
            ClassifierActivation(getattr(config, "problem_type", None), st_activation, len(id2label)),
            settings.logit_mean,
            settings.logit_sigma,
        )
    token_head = None
    if is_colbert(architectures) and runner == "pooling":
        token_head = EmbeddingHead(load_colbert_linear(path, config).to(torch_device))
    bge_m3_heads = None
    if BGE_M3_ARCHITECTURE in architectures:
        colbert, sparse = load_bge_m3_linears(path)
        bge_m3_heads = BgeM3Heads(
            colbert.to(torch_device), sparse.to(torch_device), config.bos_token_id, config.eos_token_id
        )
    matryoshka = getattr(config, "matryoshka_dimensions", None)
    info = ModelInfo(
        architectures=architectures,
        model_type=model_type,
        served_model_name=str(model),
        supported_tasks=supported_tasks(architectures, runner, model_convert),
        num_labels=len(id2label) if is_classifier else None,
        problem_type=getattr(config, "problem_type", None),
        id2label=id2label,
        max_model_len=model_max_len(config, st_folder.max_seq_length, max_model_len),
        hidden_size=config.hidden_size,
        embedding_size=_output_width(projector) or config.hidden_size,
        is_matryoshka=bool(matryoshka) or bool(getattr(config, "is_matryoshka", False)),
        matryoshka_dimensions=tuple(matryoshka) if matryoshka else None,
        architecture_score_type=architecture_score_type(model_convert, architectures),
        runner=runner,
        convert=model_convert,
        st_activation_fn=st_activation,
    )
    if torch_device.type == "cuda":
        default_tokens, default_seqs = _DEFAULT_BATCH_LIMITS["cuda"]
    else:
        default_tokens, default_seqs = _DEFAULT_BATCH_LIMITS["cpu-fp32" if torch_dtype == torch.float32 else "cpu-half"]
    engine = PoolingEngine(
        model=hf_model,
        tokenizer=tokenizer,
        info=info,
        settings=settings,
        embedding_head=EmbeddingHead(projector),
        token_embedding_head=token_head,
        classifier_head=classifier_head,
        bge_m3_heads=bge_m3_heads,
        device=torch_device,
        dtype=torch_dtype,
        max_num_batched_tokens=max_num_batched_tokens or default_tokens,
        max_num_seqs=max_num_seqs or default_seqs,
    )
    engine.dtype_choice = dtype_choice
    return engine


def check_engine_arguments(**values: object) -> None:
    """Counts and sizes are ints (not bools, not floats) and positive; ``seed`` is any int. Refused here, naming
    the argument, rather than failing deep inside a load or a batch (or never)."""
    for name, value in values.items():
        if value is None:
            continue
        if not is_integer(value):
            raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
        if name != "seed" and int(value) < 1:  # type: ignore[call-overload]
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _output_width(projector: nn.Sequential | None) -> int | None:
    if projector is None:
        return None
    linears = [m for m in projector if isinstance(m, nn.Linear)]
    return linears[-1].out_features
