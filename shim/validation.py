"""Type checks at the API boundary, with the texts vLLM's own layers would give.

vLLM's ``PoolerConfig`` and ``ModelConfig`` are pydantic dataclasses in lax mode: ``"no"`` *is* ``False`` for a
bool field there, ``"8"`` *is* 8 for an int field, and anything else is a ``ValidationError`` whose lines read
``Input should be a valid integer, unable to parse string as an integer [type=int_parsing, ...]``. The shim
cannot depend on pydantic (it is not among the runtime dependencies), so :func:`coerce` reproduces pydantic 2's
lax rules for the field kinds those configs use (bool, int, float, list of int) and its messages; the tests
compare it with pydantic wherever pydantic is installed.

``PoolingParams`` is a ``msgspec.Struct``, which checks nothing at construction; a wrong type there used to pass
silently (``use_activation="no"`` normalises). :func:`check_type` refuses such values with a ``TypeError`` that
names the field.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Literal

FieldKind = Literal["bool", "int", "float", "int_list"]

#: pydantic's error for one field: (location, message, error type, input value).
FieldError = tuple[str, str, str, object]

_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
_INT_TEXT = re.compile(r"[+-]?\d+(\.0*)?")
_FLOAT_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|infinity|nan)", re.IGNORECASE)


class Invalid(Exception):
    """One field's pydantic-style error (collected into a ``ValidationError`` by the caller)."""

    def __init__(self, location: str, message: str, error_type: str, value: object) -> None:
        super().__init__(message)
        self.error: FieldError = (location, message, error_type, value)


def coerce(field: str, kind: FieldKind, value: object) -> object:
    """The value pydantic's lax mode would store, or :class:`Invalid` with its message."""
    if kind == "bool":
        return _to_bool(field, value)
    if kind == "int":
        return _to_int(field, value)
    if kind == "float":
        return _to_float(field, value)
    if isinstance(value, str | bytes | bytearray | dict) or not isinstance(value, list | tuple | set | frozenset):
        raise Invalid(field, "Input should be a valid list", "list_type", value)
    return [_to_int(f"{field}.{index}", item) for index, item in enumerate(value)]


def _text(value: object) -> str | None:
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode()
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


def _to_bool(field: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value)
    if text is not None:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise Invalid(field, "Input should be a valid boolean, unable to interpret input", "bool_parsing", value)
    if isinstance(value, int):
        if value in (0, 1):
            return bool(value)
        raise Invalid(field, "Input should be a valid boolean, unable to interpret input", "bool_parsing", value)
    if isinstance(value, float) and value in (0.0, 1.0):
        return bool(value)
    raise Invalid(field, "Input should be a valid boolean", "bool_type", value)


def _to_int(field: str, value: object) -> int:
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float):
        return _int_from_float(field, value)
    text = _text(value)
    if text is not None:
        stripped = text.strip()
        if _INT_TEXT.fullmatch(stripped):
            return int(stripped.split(".")[0])
        raise Invalid(field, "Input should be a valid integer, unable to parse string as an integer", "int_parsing",
                      value)
    if isinstance(value, numbers.Integral):  # numpy integers
        return int(value)
    raise Invalid(field, "Input should be a valid integer", "int_type", value)


def _int_from_float(field: str, value: float) -> int:
    if not math.isfinite(value):
        raise Invalid(field, "Input should be a finite number", "finite_number", value)
    if not value.is_integer():
        raise Invalid(field, "Input should be a valid integer, got a number with a fractional part", "int_from_float",
                      value)
    return int(value)


def _to_float(field: str, value: object) -> float:
    if isinstance(value, bool | int | float):
        return float(value)
    text = _text(value)
    if text is not None:
        stripped = text.strip()
        if _FLOAT_TEXT.fullmatch(stripped):
            return float(stripped)
        raise Invalid(field, "Input should be a valid number, unable to parse string as a number", "float_parsing",
                      value)
    if isinstance(value, numbers.Real):  # numpy numbers
        return float(value)
    raise Invalid(field, "Input should be a valid number", "float_type", value)


def is_integer(value: object) -> bool:
    """An int or a numpy integer, never a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and type(value).__name__ != "bool_"


def check_type(owner: str, field: str, kind: FieldKind, value: object) -> object:
    """A strictly typed field (no coercion): the value, or a ``TypeError`` naming ``owner.field``."""
    if value is None:
        return None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        expected = "a bool"
    elif kind == "int":
        if is_integer(value):
            return int(value)  # type: ignore[call-overload]
        expected = "an int"
    elif kind == "float":
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return float(value)
        expected = "a number"
    else:
        if isinstance(value, list | tuple) and all(is_integer(item) for item in value):
            return [int(item) for item in value]
        expected = "a list of int"
    raise TypeError(f"{owner}.{field} must be {expected} or None, got {type(value).__name__} {value!r}")
