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
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def doc_path(self) -> str:
        return f"docs/rules/{self.code}.md"

    def fix_command(self, path: str = "PATH") -> str:
        unsafe = " --unsafe-fixes" if self.fix_class is FixClass.UNSAFE else ""
        return f"migrate-pooling --select {self.code}{unsafe} {path}"


V = parse_version

DEPRECATIONS: tuple[Deprecation, ...] = (
    Deprecation(
        code="POOL001",
        name="llm-task-argument",
        title="`LLM(task=...)` was replaced by `runner=`/`convert=`",
        patterns=("P1",),
        surface=Surface.PYTHON,
        fix_class=FixClass.UNSAFE,
        deprecated_in=V("0.10.1"),
        removal_announced=V("0.13.0"),
        removed_in=V("0.13.0"),
        replacement='`runner="pooling", convert="embed"|"classify"` (generation tasks: drop it)',
        messages=("M60",),
        runtime=True,
        notes="The exact equivalent depends on whether the checkpoint can both generate and pool "
        "(a model that only pools takes `convert=`; one that also generates takes `runner=\"pooling\"`), so the rewrite is opt-in.",
        unsafe_variants="`task=\"score\"` and `task=\"reward\"` are report-only: they need model knowledge.",
    ),
    Deprecation(
        code="POOL002",
        name="engine-args-task-argument",
        title="`EngineArgs`/`AsyncEngineArgs`/`ModelConfig(task=...)` was replaced by `runner=`/`convert=`",
        patterns=("P2",),
        surface=Surface.PYTHON,
        fix_class=FixClass.UNSAFE,
        deprecated_in=V("0.10.1"),
        removal_announced=V("0.13.0"),
        removed_in=V("0.13.0"),
        replacement='`runner="pooling", convert=...`',
        messages=("M60",),
        notes="Reads such as `engine_args.task` are not rewritten: `pooler_config.task` is a different concept.",
        unsafe_variants="Values `score`/`reward` are report-only.",
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
    ),
    Deprecation(
        code="POOL005",
        name="implicit-pooling-task",
        title="A pooling `LLM` relies on the implicit default task",
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
        notes="Safe only when the receiver resolves to one construction whose every use requests the same "
        "task T. If T is unsupported by the model, the failure moves to construction time (`RuntimeError: Unsupported task`).",
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
        notes='`{"data": ...}` prompts need `pooling_task="plugin"` (required from 0.20).',
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
        "and is never touched.",
        unsafe_variants='A conflicting `pooling_task=` (\"You cannot overwrite param.task\") and `task="encode"` are report-only.',
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
        notes="From 0.21 the scoring method follows the configured default task, not the architecture.",
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
        unsafe_variants="`logit_scale` given as an expression becomes `1 / (expr)`: unsafe. "
        "Both spellings at once (vLLM: \"Cannot set both\") is report-only.",
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
        fix_class=FixClass.UNSAFE,
        deprecated_in=V("0.10.1"),
        removal_announced=V("0.13.0"),
        removed_in=V("0.13.0"),
        replacement="`--runner pooling --convert embed|classify`",
        messages=("M60",),
        unsafe_variants="`--task reward`/`--task score` are report-only.",
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
        replacement='an explicit `"task"` in the body, and the server started with `--pooler-config.task`',
        messages=(),
        notes="0.18 fell back to token_embed; from 0.19 the server's default task is used.",
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
