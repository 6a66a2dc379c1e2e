"""A dict of tensors handed to a transformed function (``grad(loss)({'W': W, 'b': b})``), read as one input per key.

The function's body reads the dict only as ``params['W']``: it is rewritten with a parameter per key (``params__W``), the
transform differentiates those, and the gradients are handed back as a dict under the same keys, as JAX returns them.
"""

from __future__ import annotations

import ast
import copy

from verifygrad.tutorials.values import Function, Sequence, Transform


def flat_call(transform: Transform, arguments: list) -> tuple[Transform, list] | None:
    """The transform of the rewritten function and the arguments spread out; None where no dict argument is read only
    by its keys."""
    inner = transform.inner
    if not isinstance(inner, Function) or inner.rule is not None or transform.kind not in ("grad", "value_and_grad"):
        return None
    definition = inner.definition
    parameters = [a.arg for a in definition.args.args]
    dicts = {index: value for index, value in enumerate(arguments) if isinstance(value, Sequence) and value.keys and index < len(parameters)}
    if not dicts or not all(_keyed_only(definition, parameters[index], value.keys) for index, value in dicts.items()):
        return None
    spread, new_parameters, mapping = [], [], {}
    for index, (parameter, value) in enumerate(zip(parameters, arguments)):
        mapping[index] = len(spread)
        if index in dicts:
            new_parameters += [f"{parameter}__{key}" for key in value.keys]
            spread += list(value.items)
        else:
            new_parameters.append(parameter)
            spread.append(value)
    rewritten = _Spread({parameters[index]: value.keys for index, value in dicts.items()}).visit(copy.deepcopy(definition))
    rewritten.args.args = [ast.arg(name) for name in new_parameters]
    ast.fix_missing_locations(rewritten)
    positions = transform.argnums if isinstance(transform.argnums, tuple) else (transform.argnums,)
    differentiated: list[int] = []
    for position in positions:
        start = mapping[position % len(arguments)]
        count = len(dicts[position % len(arguments)].keys) if position % len(arguments) in dicts else 1
        differentiated += range(start, start + count)
    argnums = tuple(differentiated) if len(differentiated) > 1 or isinstance(transform.argnums, tuple) else differentiated[0]
    flat = Transform(transform.kind, Function(rewritten, inner.line, inner.emitted), argnums, transform.has_aux, transform.library)
    return flat, spread


def regrouped(result: object, transform: Transform, arguments: list) -> object:
    """The gradients of the spread-out call put back in the shape of the arguments: a dict of gradients for each dict."""
    grads = result.items[1] if transform.kind == "value_and_grad" and isinstance(result, Sequence) else result
    items = list(grads.items) if isinstance(grads, Sequence) else [grads]
    positions = transform.argnums if isinstance(transform.argnums, tuple) else (transform.argnums,)
    grouped, cursor = [], 0
    for position in positions:
        value = arguments[position % len(arguments)]
        if isinstance(value, Sequence) and value.keys:
            by_key = sorted(zip(value.keys, items[cursor : cursor + len(value.keys)]))  # NOTE: JAX rebuilds a dict with its keys sorted
            grouped.append(Sequence(tuple(item for _, item in by_key), keys=tuple(key for key, _ in by_key)))
            cursor += len(value.keys)
        else:
            grouped.append(items[cursor])
            cursor += 1
    back = Sequence(tuple(grouped)) if isinstance(transform.argnums, tuple) else grouped[0]
    return Sequence((result.items[0], back)) if transform.kind == "value_and_grad" and isinstance(result, Sequence) else back


def _keyed_only(definition: ast.FunctionDef, parameter: str, keys: tuple[str, ...]) -> bool:
    """Whether the function reads ``parameter`` only as ``parameter['key']`` with one of ``keys``, each a Python name."""
    if not all(key.isidentifier() for key in keys):
        return False
    keyed = {id(node.value) for node in ast.walk(definition) if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
             and node.value.id == parameter and isinstance(node.slice, ast.Constant) and node.slice.value in keys}  # fmt: skip
    uses = [node for node in ast.walk(definition) if isinstance(node, ast.Name) and node.id == parameter]
    return bool(uses) and all(id(node) in keyed for node in uses)


class _Spread(ast.NodeTransformer):
    """``params['W']`` -> ``params__W``."""

    def __init__(self, keyed: dict[str, tuple[str, ...]]):
        self.keyed = keyed

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        if isinstance(node.value, ast.Name) and node.value.id in self.keyed and isinstance(node.slice, ast.Constant):
            return ast.copy_location(ast.Name(f"{node.value.id}__{node.slice.value}", ast.Load()), node)
        return self.generic_visit(node)
