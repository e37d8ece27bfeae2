"""The one table of every deprecation this product knows.

The codemod's rule codes, the shim's warning codes and the generated docs (``docs/rules``,
``docs/timeline.md``) all read this module. It must stay import-light: no torch, no libcst.
Versions are tuples so that comparisons are plain tuple comparisons.

Spec references: ``shared/spec/vllm-pooling-spec.md`` §0.2 (fix classes), §2/§8 (timeline),
§6 (message ids), §11 (patterns P1-P15).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

Version = tuple[int, ...]


def parse_version(text: str) -> Version:
    """``"0.21"`` -> ``(0, 21)``; ``"0.11.2"`` -> ``(0, 11, 2)``. Raises ValueError naming the text."""
    parts = text.strip().lstrip("v").split(".")
    try:
        version = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"not a version: {text!r} (expected digits separated by dots, e.g. 0.21)") from None
    if not version or len(version) > 4:
        raise ValueError(f"not a version: {text!r} (expected digits separated by dots, e.g. 0.21)")
    return version


def format_version(version: Version | None) -> str:
    return "—" if version is None else ".".join(str(p) for p in version)


class FixClass(str, Enum):
    """How the codemod may act on a finding (spec §0.2)."""

    SAFE = "safe"  # applied by default: preserves behaviour on the target version
    UNSAFE = "unsafe"  # applied only with --unsafe-fixes: the right answer depends on the model
    REPORT = "report"  # never rewritten: needs a design decision


class Surface(str, Enum):
    """Where the legacy spelling lives; decides which scanner looks for it."""

    PYTHON = "python"
    CLI = "cli"  # argv in shell, Dockerfile, YAML, Markdown, and argv lists inside Python
    HTTP = "http"  # request bodies and endpoints used by clients


@dataclass(frozen=True)
class Deprecation:
    code: str
    name: str  # kebab-case rule name, stable like the code
    title: str
    patterns: tuple[str, ...]  # spec §11 ids, e.g. ("P5",)
    surface: Surface
    fix_class: FixClass
    deprecated_in: Version | None  # first release that warned (None: never valid at all)
    removal_announced: Version | None  # the version vLLM's own text names
    removed_in: Version | None  # first release where it fails (None: not yet / not pinned)
    replacement: str
    messages: tuple[str, ...]  # spec §6/§8 message ids
    fix_min_target: Version | None = None  # the replacement fails below this target version
    runtime: bool = False  # the shim emits or raises it at run time
    notes: str = ""
    unsafe_variants: str = ""  # which sub-cases need --unsafe-fixes or are report-only
    #: False for opt-in rules: they run only when ``select`` names their full code (or ``ALL``), as ruff's rules
    #: outside its default selection. Default-selected rules report only what breaks or changes on the target.
    selected_by_default: bool = True
    #: True where the target raises nothing: the code runs and silently does something else (``removed_in`` is
    #: then the release where the behaviour changed).
    silent_change: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def doc_path(self) -> str:
        return f"docs/rules/{self.code}.md"

    def fix_command(self, path: str = "PATH") -> str:
        unsafe = " --unsafe-fixes" if self.fix_class is FixClass.UNSAFE else ""
        return f"migrate-pooling --select {self.code}{unsafe} {path}"


V = parse_version

#: What replaces the old ``task`` engine option (``LLM``/``EngineArgs``/``ModelConfig``, ``--task``, a ``--config``
#: file's ``task:``, Ray's ``engine_kwargs``), spec §11 P1: old value -> (runner, convert or None); None: drop it.
#: It reproduces what the old option selected for every checkpoint (vLLM's own hint said ``--runner pooling`` for a
#: checkpoint that can pool; ``convert`` only matters for one that cannot, which the old option converted the same
#: way), so the rewrite is safe on every release that has ``runner``/``convert`` (0.10.1.1).
TASK_OPTION_REPLACEMENTS: dict[str, tuple[str, str | None] | None] = {
    "embed": ("pooling", "embed"),
    "embedding": ("pooling", "embed"),
    "classify": ("pooling", "classify"),
    "score": ("pooling", None),  # convert="auto" picks classify for cross-encoders, embed for bi-encoders
    "reward": ("pooling", None),
    "generate": ("generate", None),
    "transcription": ("generate", None),
    "auto": None,
}
TASK_OPTION_TEXT = (
    '`runner="pooling", convert="embed"` (embed, embedding), `runner="pooling", convert="classify"` (classify), '
    '`runner="pooling"` (score, reward), `runner="generate"` (generate, transcription); `task="auto"` is dropped'
)
TASK_OPTION_NOTES = (
    "The mapping reproduces what the old option selected for every checkpoint: `runner=\"pooling\"` is what vLLM's "
    "own deprecation hint said for a checkpoint that can pool, and `convert` only matters for one that cannot, which "
    "the old option converted the same way (`convert` is harmless on a native pooling model)."
)
TASK_OPTION_REPORTED = (
    "A task that is not a string literal, an unknown value, or `runner=`/`convert=` that already say something "
    "else are reported, not rewritten."
)


@dataclass(frozen=True)
class ModelFamily:
    """Models whose default pooling task is not what their ``embed()``/``classify()`` users would expect."""

    name: str
    pattern: str  # searched, case-insensitively, in the model id or path
    default_task: str  # vLLM's default pooling task for them (0.19-0.21)
    note: str = ""


#: The documented table POOL005 reads (spec §3.2/§3.3): a model id matching one of these has this default task.
MODEL_FAMILIES: tuple[ModelFamily, ...] = (
    ModelFamily("bge-m3", r"bge-m3", "embed",
                "`embed&token_classify` when `hf_overrides` names `BgeM3EmbeddingModel`"),
    ModelFamily("ColBERT-style models (ColBERT, ColPali, ColQwen, ColModernVBert)", r"col(?:bert|pali|qwen|modernvbert)",
                "token_embed"),
    ModelFamily("jina multi-vector models (jina-colbert, jina-reranker-v3)", r"jina-colbert|jina-reranker-v3", "token_embed",
                "`JinaForRanking` scores by late interaction"),
    ModelFamily("process-reward models (`*-PRM-*`)", r"(?:^|[-_/])prm(?:[-_/.]|$)", "token_classify",
                "`Qwen2ForProcessRewardModel`: STEP pooling"),
    ModelFamily("reward models with a native head (Qwen2.5-Math-RM, InternLM2 reward)",
                r"qwen2(?:\.5)?-math-rm|internlm2-[\w.-]*reward", "token_classify"),
    ModelFamily("NER and other token-classification checkpoints (`*-NER`, `*-ner-*`, `*-token-classification`)",
                r"(?:^|[-_/])(?:ner|token-?classification)(?:[-_/.]|$)", "token_classify",
                "`*ForTokenClassification`: vLLM picks `token_classify` for any such architecture"),
)
MODEL_FAMILY_TABLE = "\n".join(
    ["| Model family | Default task | Note |", "|---|---|---|"]
    + [f"| {f.name} | `{f.default_task}` | {f.note} |" for f in MODEL_FAMILIES]
)

DEPRECATIONS: tuple[Deprecation, ...] = (
    Deprecation(
        code="POOL001",
        name="llm-task-argument",
        title="`LLM(task=...)` was replaced by `runner=`/`convert=`",
        patterns=("P1",),
        surface=Surface.PYTHON,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.10.1"),
        removal_announced=V("0.13.0"),
        removed_in=V("0.13.0"),
        replacement=TASK_OPTION_TEXT,
        messages=("M60",),
        fix_min_target=V("0.10.1.1"),
        runtime=True,
        notes=TASK_OPTION_NOTES + " Also found in `parser.set_defaults(task=...)` that reaches `LLM(**vars(args))`, "
        "and in dicts splatted into `LLM(**kwargs)`.",
        unsafe_variants=TASK_OPTION_REPORTED,
    ),
    Deprecation(
        code="POOL002",
        name="engine-args-task-argument",
        title="`EngineArgs`/`AsyncEngineArgs`/`ModelConfig(task=...)` was replaced by `runner=`/`convert=`",
        patterns=("P2",),
        surface=Surface.PYTHON,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.10.1"),
        removal_announced=V("0.13.0"),
        removed_in=V("0.13.0"),
        replacement=TASK_OPTION_TEXT,
        messages=("M60",),
        fix_min_target=V("0.10.1.1"),
        notes=TASK_OPTION_NOTES + " Also found in `parser.set_defaults(task=...)` that reaches "
        "`EngineArgs.from_cli_args(args)` (which silently ignores it since 0.13), and in dicts splatted into "
        "`EngineArgs(**kwargs)`. An assignment `engine_args.task = ...` to a name bound once to an `EngineArgs`/"
        "`AsyncEngineArgs` (or its `from_cli_args(...)`) is reported, not rewritten: the field is gone since 0.13, "
        "so the assignment is silently ignored. Reads such as `engine_args.task` are not rewritten: "
        "`pooler_config.task` is a different concept.",
        unsafe_variants=TASK_OPTION_REPORTED,
    ),
    Deprecation(
        code="POOL003",
        name="override-pooler-config",
        title="`override_pooler_config=` was renamed `pooler_config=`",
        patterns=("P3",),
        surface=Surface.PYTHON,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.11.0"),
        removal_announced=V("0.12.0"),
        removed_in=V("0.12.0"),
        replacement="`pooler_config=PoolerConfig(...)`",
        messages=("M61",),
        fix_min_target=V("0.11.0"),
        runtime=True,
        unsafe_variants="When `pooler_config=` is also given the two are not merged: report-only.",
    ),
    Deprecation(
        code="POOL004",
        name="multi-task-engine",
        title="One `LLM` serves several pooling tasks",
        patterns=("P4",),
        surface=Surface.PYTHON,
        fix_class=FixClass.REPORT,
        deprecated_in=V("0.19"),
        removal_announced=V("0.20"),
        removed_in=V("0.21"),
        replacement="one `LLM(..., pooler_config=PoolerConfig(task=T))` per task "
        "(each loads its own weights: roughly double the memory), or keep only the task you need",
        messages=("M06", "M07"),
        notes="Uses are followed through names, `self.<attr>`, factory functions and pytest fixtures: a test or "
        "fixture parameter named like a fixture of the same module (`@pytest.fixture`, `pytest_asyncio.fixture`, "
        "also when it yields `weakref.proxy(llm)`) is that fixture's instance. Calls inside `pytest.raises(...)` are "
        "meant to fail and are not counted.",
    ),
    Deprecation(
        code="POOL005",
        name="implicit-pooling-task",
        title="A pooling `LLM` uses a task that can differ from its model's default, without pinning it",
        patterns=("P5",),
        surface=Surface.PYTHON,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.19"),
        removal_announced=V("0.20"),
        removed_in=V("0.21"),
        replacement="`pooler_config=PoolerConfig(task=T)` on the construction",
        messages=("M06", "M07"),
        fix_min_target=V("0.19"),
        runtime=True,
        notes="Reported only where the task can differ from the model's default, so the code breaks on 0.21: "
        "token-level tasks (`token_embed`, `token_classify`, `reward()`); `hf_overrides` that change the "
        "architecture; a model whose default is known to be another task (a local model folder's `config.json`, "
        "or the families below). Ordinary `embed()`/`classify()` users are POOL022's (opt-in). The fix is safe "
        "only when the receiver resolves to one construction whose every use requests the same task T. If T is "
        "unsupported by the model, the failure moves to construction time (`RuntimeError: Unsupported task`).\n\n"
        + MODEL_FAMILY_TABLE,
        unsafe_variants="Receivers that escape, task values that are not literals, and `score()` uses are "
        "reported, never fixed.",
    ),
    Deprecation(
        code="POOL006",
        name="encode-without-task",
        title="`LLM.encode(...)` without `pooling_task=`",
        patterns=("P6",),
        surface=Surface.PYTHON,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.10.0"),
        removal_announced=V("0.11.2"),
        removed_in=V("0.11.2"),
        replacement='`LLM.embed(...)`, `LLM.classify(...)` or `encode(..., pooling_task="token_embed")`',
        messages=("M02a", "M02b", "M67", "M09"),
        fix_min_target=V("0.19"),
        runtime=True,
        notes='`{"data": ...}` prompts need `pooling_task="plugin"` (required from 0.20). The receiver must be '
        "vLLM's `LLM`: built in the file, a parameter annotated `LLM`, `Optional[LLM]` or `LLM | None` (also as a "
        "string), a value a function annotated to return one gives back, or a parameter that every call in the file "
        "fills with an `LLM`.",
        unsafe_variants="Fixed only when the task is visible: the instance has a literal `PoolerConfig(task=X)` "
        "(then `pooling_task=X` is added) or the prompt is a `{\"data\": ...}` dict. Otherwise report only: "
        "the intent (embed, classify, token_embed, token_classify) is the author's.",
    ),
    Deprecation(
        code="POOL007",
        name="pooling-params-task",
        title="`PoolingParams(task=...)` used to choose the task of an `LLM` call",
        patterns=("P7",),
        surface=Surface.PYTHON,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.11.2"),
        removal_announced=None,
        removed_in=V("0.11.2"),
        replacement="`pooling_task=...` on the call",
        messages=("M10", "M02a", "M02b"),
        fix_min_target=V("0.11.2"),
        runtime=True,
        notes="Engine-level code (`AsyncLLM.encode`, `LLMEngine.add_request`) must keep `PoolingParams(task=...)` "
        "and is never touched. The params are read in the call or from the one binding of a variable that reaches it.",
        unsafe_variants='A conflicting `pooling_task=` (\"You cannot overwrite param.task\"), `task="encode"` (on an '
        'IO-processor prompt the target needs `pooling_task="plugin"`) and params in a variable that other code also '
        "reads are report-only.",
    ),
    Deprecation(
        code="POOL008",
        name="score-default-task",
        title="`LLM.score` on an engine whose default task is not explicit",
        patterns=("P8",),
        surface=Surface.PYTHON,
        fix_class=FixClass.REPORT,
        deprecated_in=V("0.19"),
        removal_announced=None,
        removed_in=V("0.21"),
        replacement='`PoolerConfig(task="embed")` (cosine), `task="token_embed"` (MaxSim) or a cross-encoder',
        messages=("M25", "M26"),
        notes="From 0.21 the scoring method follows the configured default task, not the architecture. Reported "
        "where that changes the method or fails: a configured task that cannot score, `hf_overrides` that change "
        "the architecture, or a model whose default is known to be another task (POOL005's table). Scoring whose "
        "method stays the same is POOL023's (opt-in).",
    ),
    Deprecation(
        code="POOL009",
        name="llm-reward",
        title="`LLM.reward(...)` is deprecated",
        patterns=("P9",),
        surface=Surface.PYTHON,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.20"),
        removal_announced=V("0.23"),
        removed_in=None,
        replacement='`LLM.encode(..., pooling_task="token_classify")`',
        messages=("M11",),
        fix_min_target=V("0.11.2"),
        runtime=True,
        notes="`reward()` forwards its arguments unchanged to `encode(..., pooling_task=\"token_classify\")` "
        "in every release from 0.11.2 to 0.23. Sequence reward models probably want `classify`.",
    ),
    Deprecation(
        code="POOL010",
        name="activation-flag-rename",
        title="`normalize`/`softmax`/`activation` were replaced by `use_activation`",
        patterns=("P10",),
        surface=Surface.PYTHON,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.11.2"),
        removal_announced=V("0.15"),
        removed_in=V("0.16.0"),
        replacement="`use_activation=` (same value)",
        messages=("M62", "M63", "M64", "M65"),
        fix_min_target=V("0.11.2"),
        runtime=True,
        notes="Intent-preserving: on 0.11.2-0.13.0 `softmax=False` behaved as `use_activation=True`.",
        unsafe_variants="Two of the old flags with different values are report-only.",
    ),
    Deprecation(
        code="POOL011",
        name="logit-bias-scale",
        title="`logit_bias`/`logit_scale` were replaced by `logit_mean`/`logit_sigma`",
        patterns=("P10",),
        surface=Surface.PYTHON,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.20"),
        removal_announced=V("0.21"),
        removed_in=V("0.23"),
        replacement="`logit_mean=` (same value), `logit_sigma=1/logit_scale`",
        messages=("M50", "M51", "M52", "M53", "M54"),
        fix_min_target=V("0.20"),
        runtime=True,
        notes="`logit_scale` given as an expression becomes `logit_sigma=1 / (expr)`: safe, because vLLM itself "
        "refuses a zero scale.",
        unsafe_variants="`logit_scale=0` (refused by vLLM) and both spellings at once (vLLM: \"Cannot set both\") "
        "are report-only.",
    ),
    Deprecation(
        code="POOL012",
        name="pooler-config-pooling-task",
        title="`PoolerConfig(pooling_task=...)` is not a field; the field is `task`",
        patterns=("P11",),
        surface=Surface.PYTHON,
        fix_class=FixClass.SAFE,
        deprecated_in=None,
        removal_announced=None,
        removed_in=None,
        replacement="`PoolerConfig(task=...)`",
        messages=(),
        fix_min_target=V("0.19"),
        runtime=True,
        notes="No release accepts it; it appears in upstream test snapshots at commit 081d0a9f.",
    ),
    Deprecation(
        code="POOL013",
        name="cli-task-flag",
        title="`--task` was replaced by `--runner`/`--convert`",
        patterns=("P12",),
        surface=Surface.CLI,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.10.1"),
        removal_announced=V("0.13.0"),
        removed_in=V("0.13.0"),
        replacement="`--runner pooling --convert embed|classify`; `--runner pooling` for score/reward; "
        "`--runner generate` for generation tasks; `--task auto` is dropped",
        messages=("M60",),
        fix_min_target=V("0.10.1.1"),
        notes=TASK_OPTION_NOTES,
        unsafe_variants="A value that is not a known task, or `--runner`/`--convert` that already say something "
        "else, are reported, not rewritten.",
    ),
    Deprecation(
        code="POOL014",
        name="cli-override-pooler-config",
        title="`--override-pooler-config` was renamed `--pooler-config`",
        patterns=("P12",),
        surface=Surface.CLI,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.11.0"),
        removal_announced=V("0.12.0"),
        removed_in=V("0.12.0"),
        replacement="`--pooler-config '{...}'`",
        messages=("M61",),
        fix_min_target=V("0.11.0"),
    ),
    Deprecation(
        code="POOL015",
        name="cli-pooler-config-legacy-key",
        title="Legacy keys inside `--pooler-config` JSON or a YAML `pooler-config:` mapping",
        patterns=("P12", "P10", "P11"),
        surface=Surface.CLI,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.11.2"),
        removal_announced=None,
        removed_in=V("0.16.0"),
        replacement='`use_activation` for `normalize`/`softmax`/`activation`; `logit_mean` for `logit_bias` '
        '(target ≥0.20); `task` for `pooling_task` (target ≥0.19)',
        messages=("M64", "M50"),
    ),
    Deprecation(
        code="POOL016",
        name="cli-dotted-key-dash",
        title="Dashes after the dot in `--pooler-config.<key>` are not normalised",
        patterns=("P12",),
        surface=Surface.CLI,
        fix_class=FixClass.SAFE,
        deprecated_in=None,
        removal_announced=None,
        removed_in=None,
        replacement="`--pooler-config.pooling_type MEAN` (underscores after the dot)",
        messages=(),
    ),
    Deprecation(
        code="POOL017",
        name="cli-convert-reward",
        title="`--convert reward` was replaced by `--convert embed`",
        patterns=("P12",),
        surface=Surface.CLI,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.13.0"),
        removal_announced=V("0.15"),
        removed_in=V("0.16.0"),
        replacement="`--convert embed`",
        messages=("M66",),
        fix_min_target=V("0.10.1.1"),
    ),
    Deprecation(
        code="POOL018",
        name="cli-pooler-config-mixed-forms",
        title="`--pooler-config '{...}'` mixed with dotted `--pooler-config.<key>`: the JSON part is dropped",
        patterns=("P12",),
        surface=Surface.CLI,
        fix_class=FixClass.UNSAFE,
        deprecated_in=V("0.19"),
        removal_announced=None,
        removed_in=None,
        replacement="one `--pooler-config '{...}'` holding every key",
        messages=(),
        notes="The merge changes behaviour: the JSON part used to be dropped silently.",
    ),
    Deprecation(
        code="POOL019",
        name="cli-server-multi-task",
        title="A server started without `--pooler-config.task` serves several pooling tasks",
        patterns=("P12", "P14", "P15"),
        surface=Surface.CLI,
        fix_class=FixClass.REPORT,
        deprecated_in=V("0.19"),
        removal_announced=V("0.20"),
        removed_in=V("0.21"),
        replacement="one server per task, each with `--pooler-config.task <task>`",
        messages=("M14a", "M14b", "M15", "M30", "M31"),
    ),
    Deprecation(
        code="POOL020",
        name="pooling-request-without-task",
        title="A `/pooling` request body without `\"task\"`",
        patterns=("P13",),
        surface=Surface.HTTP,
        fix_class=FixClass.REPORT,
        deprecated_in=V("0.19"),
        removal_announced=None,
        removed_in=V("0.19"),
        silent_change=True,
        replacement='an explicit `"task"` in the body, and the server started with `--pooler-config.task`',
        messages=(),
        notes="0.18 fell back to token_embed; from 0.19 the server's default task is used. A body with `\"data\"` "
        "is an IO-processor plugin request (task `plugin`) and is not reported. Bodies are read inline, in a variable "
        "(the binding that reaches the post), from a helper's return or a helper's parameter; the route from a "
        "literal URL, an f-string or concatenation, or a route helper such as `server.url_for(\"pooling\")`.",
    ),
    Deprecation(
        code="POOL021",
        name="score-task-value",
        title='The `"score"` task value was removed; use `"classify"`',
        patterns=("P7",),
        surface=Surface.PYTHON,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.19"),
        removal_announced=V("0.20"),
        removed_in=V("0.21"),
        replacement='`"classify"`',
        messages=("M17", "M41"),
        fix_min_target=V("0.11.2"),
        runtime=True,
    ),
    Deprecation(
        code="POOL022",
        name="pin-default-task",
        title="A pooling `LLM` used only for its model's usual default task does not pin it",
        patterns=("P5",),
        surface=Surface.PYTHON,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.19"),
        removal_announced=None,
        removed_in=None,
        replacement="`pooler_config=PoolerConfig(task=T)` on the construction",
        messages=(),
        fix_min_target=V("0.19"),
        selected_by_default=False,
        notes="Opt-in: not selected by default; run it with `--select POOL022`. The code behaves the same on vLLM "
        "0.21, because the task it uses is the model's default (an embedding model's `embed()`, a classifier's "
        "`classify()`); pinning the task only makes that explicit, and moves a wrong model to a clear error at "
        "construction time. Uses that can differ from the default are POOL005's.",
        unsafe_variants="Receivers that escape and engines built from `**kwargs` that cannot be followed are "
        "reported, never fixed.",
    ),
    Deprecation(
        code="POOL023",
        name="score-implicit-task",
        title="`LLM.score` on an engine without an explicit task, where the scoring method stays the same",
        patterns=("P8",),
        surface=Surface.PYTHON,
        fix_class=FixClass.REPORT,
        deprecated_in=V("0.21"),
        removal_announced=None,
        removed_in=None,
        replacement='`PoolerConfig(task="embed")` (cosine), `task="token_embed"` (MaxSim) or `task="classify"` '
        "(cross-encoder)",
        messages=(),
        selected_by_default=False,
        notes="Opt-in: not selected by default; run it with `--select POOL023`. From vLLM 0.21 `LLM.score` picks "
        "its method from the default task instead of the architecture; for an ordinary embedding model or "
        "cross-encoder both give the same method, so nothing changes. Naming the task documents which one is "
        "meant. Scoring that does change is POOL008's.",
    ),
    Deprecation(
        code="POOL024",
        name="request-activation-key",
        title='`"normalize"`/`"softmax"`/`"activation"` in a request body are ignored: use `"use_activation"`',
        patterns=("P10",),
        surface=Surface.HTTP,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.16.0"),
        removal_announced=V("0.17"),
        removed_in=V("0.17"),
        replacement='`"use_activation"` (same value)',
        messages=("M65", "M43"),
        fix_min_target=V("0.14.1"),
        notes="Since vLLM 0.17 the server accepts unknown request fields and ignores them (a DEBUG log line only): "
        'a client sending `"normalize": false` still gets normalised vectors. Found in bodies posted to any pooling '
        "route (`/pooling`, `/v1/embeddings`, `/classify`, `/score`, `/rerank` ...), written inline, in a variable "
        "or returned by a helper, the route written in the URL or given to a route helper "
        "(`server.url_for(\"score\")`).",
        unsafe_variants='A body that already has `"use_activation"`, or two of the old keys, or that is changed in '
        "place after it is built, or a `dict(**base, ...)` body (the keyword could be given twice), is reported, not "
        "rewritten.",
    ),
    Deprecation(
        code="POOL025",
        name="ray-engine-kwargs",
        title="Ray's `engine_kwargs` pass vLLM's removed `task`/`override_pooler_config`; `task_type=\"score\"`",
        patterns=("P1", "P3"),
        surface=Surface.PYTHON,
        fix_class=FixClass.SAFE,
        deprecated_in=V("0.10.1"),
        removal_announced=V("0.13.0"),
        removed_in=V("0.13.0"),
        replacement='Ray Data: `task_type="embed"|"classify"` on `vLLMEngineProcessorConfig`; Ray Serve: '
        '`"runner"`/`"convert"` in `engine_kwargs`; `"pooler_config"` for `"override_pooler_config"`',
        messages=("M60", "M61"),
        fix_min_target=V("0.11.0"),
        notes="`ray.data.llm.vLLMEngineProcessorConfig` and `ray.serve.llm.LLMConfig` hand `engine_kwargs` to vLLM's "
        "engine arguments, which have refused `task` since 0.13 (Ray Serve: `Unknown engine argument: task`) and "
        "`override_pooler_config` since 0.12. Ray >= 2.55 maps `task_type=\"score\"` to `convert=\"reward\"`, "
        "which vLLM refuses since 0.16, and sends the `score` task that vLLM 0.19 removed. `engine_kwargs` is read "
        "as a dict literal or a `dict(...)` call, in the call or bound once to a name.",
        unsafe_variants='`task_type="score"`, task values without a Ray equivalent, and `dict(**base, task=...)` '
        "(the new keywords could collide with `base`) are reported, not rewritten.",
    ),
    Deprecation(
        code="POOL026",
        name="engine-encode-without-task",
        title="Engine-level `encode()`/`add_request()` with a `PoolingParams` that names no task",
        patterns=("P7",),
        surface=Surface.PYTHON,
        fix_class=FixClass.REPORT,
        deprecated_in=V("0.11.2"),
        removal_announced=None,
        removed_in=V("0.11.2"),
        silent_change=True,
        replacement='`PoolingParams(task="embed")`, or the task the code after the call expects (`classify`, '
        '`token_embed`, `token_classify`)',
        messages=(),
        notes="A silent change, no error and no warning: since vLLM 0.11.2 the engine below `LLM` "
        "(`AsyncLLMEngine`/`AsyncLLM.encode`, `add_request`), given a `PoolingParams` without `task`, uses the first "
        "supported of `token_embed`, `token_classify`, `plugin`. An embedding model then returns one vector per "
        "token instead of one per prompt. The engine has no default-task check in any release, so the task must be "
        "set on the `PoolingParams` itself (`LLM.encode` requires `pooling_task=` instead: POOL006). Reported only "
        "where the receiver is certainly a vLLM engine (bound only to `AsyncLLMEngine`, `AsyncLLM` or `LLMEngine`, "
        "or a parameter annotated with one of them or `EngineClient`) and the `PoolingParams(...)` call is visible, "
        "inline or bound once to a name used for nothing else.",
        unsafe_variants="Never rewritten: which task was meant (and which output shape the code after the call "
        "expects) is the author's decision; `token_embed` would keep today's output only where the model "
        "supports it.",
    ),
)

BY_CODE: dict[str, Deprecation] = {d.code: d for d in DEPRECATIONS}

#: The versions the shim emulates and the codemod targets by default.
KNOWN_TARGETS: tuple[Version, ...] = ((0, 18), (0, 19), (0, 20), (0, 21))
DEFAULT_CODEMOD_TARGET: Version = (0, 21)
DEFAULT_SHIM_TARGET: Version = (0, 20)


def get(code: str) -> Deprecation:
    try:
        return BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown deprecation code {code!r}; known: {', '.join(BY_CODE)}") from None


def is_deprecated_at(entry: Deprecation, target: Version) -> bool:
    """True when code written the legacy way warns or fails on ``target``."""
    return entry.deprecated_in is None or target >= entry.deprecated_in


def is_removed_at(entry: Deprecation, target: Version) -> bool:
    return entry.removed_in is not None and target >= entry.removed_in
