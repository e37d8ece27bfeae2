"""The shim's emulation of pydantic's lax field validation (vLLM's PoolerConfig/ModelConfig are pydantic
dataclasses) gives pydantic's values and messages. Compared with pydantic itself where it is installed."""

from __future__ import annotations

import math

import pytest

from vllm_pooling_migrate.shim.validation import Invalid, check_type, coerce

VALUES = {
    "bool": ["no", "NO", "yes", "Off", "t", "f", "1", "0", " yes", "x", "", 0, 1, 2, -1, 1.0, 0.0, 0.5, [], None,
             True, False, b"no", {}],
    "int": ["8", " 8 ", "+8", "-3", "8.0", "8.5", "x", "", "1e3", 8.0, 8.5, math.nan, math.inf, True, False, [], None,
            7, b"8", 2**70],
    "float": ["1.5", " 2 ", "x", "", "1e3", ".5", "-inf", "nan", True, 3, [], None, 2.5, b"1.5"],
    "int_list": ["12", [1, 2], (1, 2), {1, 2}, [1, "x"], [1.5], [1.0], [True], [], "", {"a": 1}, None, b"12", 5],
}


def _pydantic_result(kind: str, value: object):
    pydantic = pytest.importorskip("pydantic")
    from typing import Optional

    annotation = {"bool": bool, "int": int, "float": float, "int_list": list[int]}[kind]
    try:
        return "ok", pydantic.TypeAdapter(Optional[annotation]).validate_python(value)
    except pydantic.ValidationError as error:
        [detail] = error.errors()
        location = ".".join(["field"] + [str(part) for part in detail["loc"]])
        return "error", (location, detail["msg"], detail["type"])


def _shim_result(kind: str, value: object):
    if value is None:
        return "ok", None  # the fields are optional: None is kept, as pydantic does
    try:
        return "ok", coerce("field", kind, value)
    except Invalid as invalid:
        location, message, error_type, _ = invalid.error
        return "error", (location, message, error_type)


@pytest.mark.parametrize("kind, value", [(kind, value) for kind, values in VALUES.items() for value in values],
                         ids=lambda v: repr(v))
def test_coerce_matches_pydantic(kind, value):
    expected = _pydantic_result(kind, value)
    actual = _shim_result(kind, value)
    if expected[0] == "ok" and isinstance(expected[1], float) and math.isnan(expected[1]):
        assert actual[0] == "ok" and math.isnan(actual[1])
    else:
        assert actual == expected


def test_strict_types_name_the_field():
    with pytest.raises(TypeError, match=r"^PoolingParams.use_activation must be a bool or None, got str 'no'$"):
        check_type("PoolingParams", "use_activation", "bool", "no")
    assert check_type("PoolingParams", "dimensions", "int", 8) == 8
    assert check_type("PoolingParams", "returned_token_ids", "int_list", (1, 2)) == [1, 2]
