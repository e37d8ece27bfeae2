"""The loader's security check holds under ``python -O``, which strips every ``assert`` statement.

A model folder names the activation modules the engine instantiates (the sentence-transformers cross-encoder
``activation_fn`` in the HF config, ``activation_function`` in a Dense module's config). Only
``torch.nn.modules`` classes may be loaded; anything else must be refused however Python is started.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# ``collections.OrderedDict`` imports and instantiates without error: if the check were gone, the engine would
# load and this script would print "loaded".
OUTSIDE_TORCH_NN = "collections.OrderedDict"

LOAD_UNDER_O = textwrap.dedent(
    """\
    import json, sys
    if __debug__:
        sys.exit("not running under python -O: asserts are still active, the test would prove nothing")
    from vllm_pooling_migrate.runtime import load_engine
    path, hf_overrides = sys.argv[1], json.loads(sys.argv[2])
    try:
        load_engine(path, dtype="float32", hf_overrides=hf_overrides)
    except ValueError as error:
        print("refused:", error)
    else:
        print("loaded")
    """
)


def load_under_optimized_python(model_path: Path, hf_overrides: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-O", "-c", LOAD_UNDER_O, str(model_path), json.dumps(hf_overrides or {})],
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_refused(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("refused: "), result.stdout + result.stderr
    assert "restricted to torch.nn.modules for security reasons" in result.stdout
    assert repr(OUTSIDE_TORCH_NN) in result.stdout


def test_cross_encoder_activation_outside_torch_nn_is_refused_under_python_O(tiny):
    overrides = {"sentence_transformers": {"activation_fn": OUTSIDE_TORCH_NN}}
    assert_refused(load_under_optimized_python(tiny["bert-cls"], overrides))


def test_dense_module_activation_outside_torch_nn_is_refused_under_python_O(tiny, tmp_path):
    model = shutil.copytree(tiny["bert-st-dense"], tmp_path / "st-dense")
    dense_config_file = model / "2_Dense" / "config.json"
    dense_config = json.loads(dense_config_file.read_text())
    dense_config["activation_function"] = OUTSIDE_TORCH_NN
    dense_config_file.write_text(json.dumps(dense_config))
    assert_refused(load_under_optimized_python(model))


@pytest.mark.parametrize("name", ["torch.nn.modules.activation.Tanh", "torch.nn.modules.linear.Identity"])
def test_torch_nn_activations_still_load(name):
    from torch import nn

    from vllm_pooling_migrate.runtime.loading import activation_module

    assert isinstance(activation_module(name), nn.Module)
