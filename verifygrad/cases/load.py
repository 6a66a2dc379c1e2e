"""Read case files: safe YAML that remembers the line of every key, validated by the schema."""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from verifygrad.cases.schema import CASE_PROPERTIES, CASE_SCHEMA
from verifygrad.cases.written import UNSIGNED_EXPONENT, WrittenFloat, number_hint
from verifygrad.errors import CaseError, excerpt, visible
from verifygrad.process import limits

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineDict(dict):
    """A YAML mapping that remembers its own line and each key's line (1-based)."""

    def __init__(self, *args: Any, line: int = 0, key_lines: dict[str, int] | None = None):
        super().__init__(*args)
        self.line = line
        self.key_lines = key_lines or {}

    def line_of(self, key: Any) -> int:
        """The line of ``key``, or the mapping's own where the key came from elsewhere."""
        return self.key_lines.get(str(key), self.line)


class NonTextKey(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


class _LineLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        lines: dict[str, int] = {}
        for key, _ in node.value:
            line = key.start_mark.line + 1
            if str(key.value) in lines:  # NOTE: YAML lets a repeated key silently replace the first
                first = lines[str(key.value)]
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key '{excerpt(str(key.value))}' (lines {first} and {line})", key.start_mark)
            lines[str(key.value)] = line
        mapping = super().construct_mapping(node, deep=True)  # NOTE: merges `<<:` keys into node.value first
        key_lines = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):  # `null:`, `0x10:`, `3:` would reach the report as names that are not text
                raise NonTextKey(key_node.start_mark.line + 1, f"key {excerpt(str(key_node.value))!r} is not text; write it in quotes")
            key_lines[key] = key_node.start_mark.line + 1
        return LineDict(mapping, line=node.start_mark.line + 1, key_lines=key_lines)

    def construct_written_float(self, node: yaml.ScalarNode) -> WrittenFloat:
        return WrittenFloat(self.construct_yaml_float(node), str(node.value))


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:float", _LineLoader.construct_written_float)
_LineLoader.add_implicit_resolver("tag:yaml.org,2002:float", UNSIGNED_EXPONENT, list("-+0123456789."))


@dataclass
class Case:
    """One case as written, with where each part of it was written."""

    name: str
    expr: str
    inputs: dict[str, Any]
    path: str
    line: int
    wrt: list[str] | None = None
    output: str | None = None  # the variable that is the program's output, where not its last expression
    grad_output: Any = None
    dtype: str = "float64"
    device: str = "auto"
    engines: list[str] | None = None
    tolerance: dict[str, float] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)
    expect_mismatch: str | None = None
    subgradient: str = "lenient"  # "strict": a kink on the way is a failure, not a note
    mutate: bool = False
    hessian: bool = False
    jacobian: bool = False
    order: int | None = None  # the derivative of this order (3 or more) of a scalar output, by nesting
    jvp: dict[str, Any] | None = None  # tangent per input, for forward mode
    description: str = ""
    source: str = ""
    stand_in: list[str] = field(default_factory=list)  # inputs whose values stand in for unknown ones (unseeded random)
    tags: list[str] = field(default_factory=list)
    raw: LineDict = field(default_factory=LineDict, repr=False)
    places: dict[int, str] = field(default_factory=dict)  # file line -> where a reader finds it, where that differs (a notebook's cell)

    def line_of(self, *keys: str) -> int:
        """The line of a key path such as ("inputs", "x"), or the nearest enclosing one found."""
        return _line_of(self.raw, keys) or self.line

    def error(self, message: str, *keys: str) -> CaseError:
        return CaseError(self.path, self.line_of(*keys), message)


def _line_of(mapping: Any, keys: tuple[Any, ...] | list[Any]) -> int | None:
    line = getattr(mapping, "line", None)
    for key in keys:
        if isinstance(mapping, LineDict) and key in mapping:
            line = mapping.key_lines.get(str(key), line)
            mapping = mapping[key]
        elif isinstance(mapping, list) and isinstance(key, int) and key < len(mapping):
            mapping = mapping[key]
            line = getattr(mapping, "line", line)
        else:
            break
    return line


def read_yaml(path: Path, where: str | None = None) -> Any:
    """Parse one YAML file safely (no tags that build Python objects), keeping lines; errors name ``where``."""
    bounds = limits.current()
    where = where or display_path(path)
    if not path.is_file():  # NOTE: a FIFO or /dev/zero would block or never end
        raise CaseError(where, None, "not a regular file")
    try:
        with path.open("rb") as file:
            data = _read_at_most(file, bounds.file_bytes + 1)  # never more than the limit, whatever stat says
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise CaseError(where, None, f"cannot read file: {err}") from None
    if len(data) > bounds.file_bytes:
        raise CaseError(where, None, f"file is over {bounds.file_bytes} bytes, the limit (--limit file_bytes=N)")
    return parse_yaml(text, where)


def _read_at_most(file: Any, size: int) -> bytes:
    """Up to ``size`` bytes, a megabyte at a time: ``read(size)`` would allocate all of ``size`` at once."""
    chunks, left = [], size
    while left > 0 and (chunk := file.read(min(left, 1 << 20))):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def display_path(path: Path) -> str:
    """A path as reports show it: control characters and bytes that are not UTF-8 escaped."""
    return visible(str(path))


def parse_yaml(text: str, where: str) -> Any:
    """Parse YAML text under the limits: safe tags only, bounded size and depth, keys that are text."""
    bounds = limits.current()
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_size(node, where, bounds)
        return loader.construct_document(node) if node is not None else None
    except NonTextKey as err:
        raise CaseError(where, err.line, str(err)) from None
    except RecursionError:
        raise CaseError(where, None, f"YAML nested too deeply (limit {bounds.depth} levels)") from None
    except yaml.MarkedYAMLError as err:
        _check_depth_of_events(text, where, bounds)  # the parser may have its own depth limit, below ours or above
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        problem = err.problem or err.context or "invalid YAML"
        raise CaseError(where, line, f"invalid YAML: {excerpt(problem, 120)}") from None
    except yaml.YAMLError as err:
        raise CaseError(where, None, f"invalid YAML: {excerpt(str(err), 120)}") from None
    finally:
        loader.dispose()


def _check_depth_of_events(text: str, where: str, bounds: limits.Limits) -> None:
    """Refuse a document nested deeper than the limit, read as a stream of events up to its first error.

    NOTE: libyaml (PyYAML >= 6.0.4) stops at its own nesting depth with a message of its own, and
    scans a flow collection ahead; the pure-Python parser streams events with no limit of its own, so
    it tells whether our limit was passed first. Only a document that failed to parse comes here.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > bounds.depth:
                    raise CaseError(where, event.start_mark.line + 1, f"YAML nested too deeply (limit {bounds.depth} levels, --limit depth=N)")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return


def _check_size(root: yaml.Node, where: str, bounds: limits.Limits) -> None:
    """Refuse a document too deep, or too large once its aliases are expanded ("billion laughs").

    NOTE: an alias is the same node object as its anchor; sizes are memoised per node, so
    counting is linear in the document however many times the aliases would multiply it.
    """
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if depth > bounds.depth:  # also ends a recursive alias (&a [*a])
            raise CaseError(where, node.start_mark.line + 1, f"YAML nested too deeply (limit {bounds.depth} levels, --limit depth=N)")
        if id(node) not in sizes:
            children = node.value if isinstance(node, yaml.SequenceNode) else []
            if isinstance(node, yaml.MappingNode):
                children = [part for pair in node.value for part in pair]
            sizes[id(node)] = 1 + sum(size(child, depth + 1) for child in children)
            if sizes[id(node)] > bounds.yaml_nodes:
                raise CaseError(
                    where, node.start_mark.line + 1,
                    f"YAML expands to over {bounds.yaml_nodes} nodes (aliases counted in full); the limit is --limit yaml_nodes=N",
                )  # fmt: skip
        return sizes[id(node)]

    size(root, 0)


def load_file(path: Path) -> tuple[list[Case], list[CaseError]]:
    """The cases of one file, and an error for each part of it that is not a valid case."""
    where = display_path(path)
    try:
        data = read_yaml(path, where)
    except CaseError as err:
        return [], [err]
    if data is None:
        return [], [CaseError(where, None, "file is empty")]
    if not isinstance(data, LineDict):
        return [], [CaseError(where, 1, f"expected a case (a mapping) or `cases:` a list, found {_kind(data)}")]
    if "cases" not in data:
        return _validated([data], where)
    extra = [key for key in data if key not in ("cases", "defaults")]
    if extra:
        return [], [CaseError(where, data.line_of(str(extra[0])), _unknown_key(extra[0], ["cases", "defaults"]))]
    errors: list[CaseError] = []
    defaults = data.get("defaults") or LineDict()
    listed = data["cases"]
    if not isinstance(defaults, LineDict):
        return [], [CaseError(where, data.line_of("defaults"), f"`defaults` must be a mapping, found {_kind(defaults)}")]
    if "name" in defaults:
        errors.append(CaseError(where, defaults.line_of("name"), "`defaults` cannot set `name`"))
    if not isinstance(listed, list) or not listed:
        return [], [CaseError(where, data.line_of("cases"), "`cases` must be a non-empty list of cases")]
    most = limits.current().cases_per_file
    if len(listed) > most:
        return [], [CaseError(where, data.line_of("cases"), f"{len(listed)} cases; the limit is {most} (--limit cases_per_file=N)")]
    merged = []
    for item in listed:
        if not isinstance(item, LineDict):
            errors.append(CaseError(where, data.line_of("cases"), f"each case must be a mapping, found {_kind(item)}"))
            continue
        merged.append(LineDict({**defaults, **item}, line=item.line, key_lines={**defaults.key_lines, **item.key_lines}))
    cases, case_errors = _validated(merged, where)
    return cases, errors + case_errors


def _validated(mappings: list[LineDict], where: str) -> tuple[list[Case], list[CaseError]]:
    cases, errors = [], []
    for mapping in mappings:
        error = _schema_error(mapping, where) or _tolerance_error(mapping, where)
        if error:
            errors.append(error)
        else:
            cases.append(_to_case(mapping, where))
    return cases, errors


@functools.cache
def _fast_validator() -> Callable[[Any], Any]:
    """The case schema compiled to a function (by fastjsonschema, from our schema only: no user text)."""
    import fastjsonschema

    return fastjsonschema.compile(CASE_SCHEMA, use_default=False)


@functools.cache
def _explaining_validator() -> Any:
    import jsonschema  # NOTE: about as costly to import as numpy: only a run with an invalid case pays for it

    return jsonschema.Draft202012Validator(CASE_SCHEMA)


def _accepted(mapping: LineDict) -> bool:
    """Whether the fast validator accepts ``mapping``; anything it refuses, or cannot judge, goes to jsonschema."""
    try:
        _fast_validator()(mapping)
    except Exception:  # noqa: BLE001 - its refusal, or an error on a value it does not expect: jsonschema decides
        return False
    return True


def _schema_error(mapping: LineDict, where: str) -> CaseError | None:
    if _accepted(mapping):
        return None
    errors = list(_explaining_validator().iter_errors(mapping))
    if not errors:
        return None
    # A misspelt key also leaves a required one missing; the misspelling is the useful report.
    unknown = [e for e in errors if e.validator == "additionalProperties"]
    # The deepest error is the most specific one ("tolerance.rtol must be a number").
    error = unknown[0] if unknown else max(errors, key=lambda e: len(e.absolute_path))
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":  # point at the unknown key itself
        path.append(next(key for key in error.instance if key not in error.schema.get("properties", {})))
    name = mapping.get("name") if isinstance(mapping.get("name"), str) else None
    label = f"case '{name}': " if name else ""
    return CaseError(where, _line_of(mapping, path) or mapping.line, label + _message(error, path), case=name)


def _tolerance_error(mapping: LineDict, where: str) -> CaseError | None:
    """A tolerance of inf or nan would let anything pass: refuse it (the schema already refuses negatives)."""
    for key, value in (mapping.get("tolerance") or {}).items():
        if not math.isfinite(value):
            return CaseError(where, _line_of(mapping, ["tolerance", key]), f"tolerance.{key} must be a finite number >= 0; found {value}")
    return None


def _message(error: Any, path: list[Any]) -> str:
    """One sentence for a schema violation: what was expected and what was found."""
    if any(isinstance(key, str) and ("(" in key or ")" in key) for key in path):
        # YAML splits {x: ones(2, 2)} at the comma: the call's pieces turn up as keys.
        where = ".".join(map(str, path[:1]))
        return f'{where}: an expression with commas inside {{...}} needs quotes, e.g. {{x: "ones(2, 2)"}}'
    instance = error.instance
    if error.validator == "additionalProperties":
        *parent, key = path
        known = list(error.schema.get("properties", {}))
        inside = f" in {'.'.join(map(str, parent))}" if parent else ""
        return _unknown_key(key, known, inside) if known else f"unexpected key '{key}'{inside}"
    where = ".".join(map(str, path)) or "the case"
    if error.validator == "required":
        missing = [key for key in error.validator_value if key not in instance]
        return f"missing required key '{missing[0]}'" + (f" in {where}" if path else "")
    if error.validator == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return f"{where} must be one of {allowed}; found {excerpt(repr(instance))}"
    if "propertyNames" in error.schema_path:
        return f"{where}: {excerpt(repr(instance))} is not an input name (letters, digits and _)"
    if error.validator in ("type", "anyOf", "oneOf"):
        expected = {
            "inputs": "a mapping of input name to value", "tolerance": "a mapping with rtol and/or atol",
            "expect": "a mapping with value, grad, formula and/or values", "wrt": "a list of input names",
            "engines": "a list of engine names", "tags": "a list of strings",
        }.get(str(path[0]) if len(path) == 1 else "", _expected_type(error))  # fmt: skip
        return f"{where} must be {expected}; found {_kind(instance)}{number_hint(instance)}"
    return f"{where}: {excerpt(error.message, 120)}"


def _expected_type(error: Any) -> str:
    if error.validator == "type":
        return {"string": "text", "object": "a mapping", "array": "a list", "number": "a number"}.get(str(error.validator_value), str(error.validator_value))
    return "a number, a nested list of numbers, or a constant expression"


def _unknown_key(key: Any, known: list[str], inside: str = "") -> str:
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
    return f"unknown key '{excerpt(str(key))}'{inside}{hint}"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {excerpt(value)!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing" if value is None else type(value).__name__


def _to_case(mapping: LineDict, where: str) -> Case:
    fields = {key: mapping[key] for key in CASE_PROPERTIES if key in mapping}
    fields.setdefault("inputs", {})  # a program may create its inputs itself
    return Case(path=where, line=mapping.line, raw=mapping, **fields)


def load_mapping(mapping: dict[str, Any], where: str, line: int = 0) -> tuple[list[Case], list[CaseError]]:
    """One case given as data rather than a file (e.g. by `verifygrad new`, or read from a tutorial at ``line``), validated like any other."""
    return _validated([LineDict(mapping, line=line)], where)
