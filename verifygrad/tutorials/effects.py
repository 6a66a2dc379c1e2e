"""What code the reader does not follow could have changed: every name it may rebind or mutate, and the names sharing
memory with one (views, `.data`, `torch.from_numpy`), so that no claim is compared with a value gone stale.

Read from the syntax only, and over-approximated: a name handed to a call the reader does not follow may be mutated
by it (or kept and mutated later, as an optimizer keeps its parameters).
"""

from __future__ import annotations

import ast

# Calls and attributes whose result shares memory with their argument or owner: changing one changes the other.
VIEW_METHODS = {
    "view", "view_as", "reshape", "reshape_as", "detach", "numpy", "T", "mT", "H", "data", "transpose", "t", "permute", "squeeze",
    "unsqueeze", "flatten", "ravel", "expand", "expand_as", "narrow", "select", "as_strided", "unfold", "diagonal", "real", "imag",
    "swapaxes", "movedim", "moveaxis", "split", "chunk", "unbind", "contiguous", "to", "cpu", "cuda", "float", "double", "type_as",
    "requires_grad_", "squeeze_", "unsqueeze_", "grad",
}  # fmt: skip
_VIEW_FUNCTIONS = {"from_numpy", "as_tensor", "asarray", "frombuffer", "from_dlpack", "Variable", "Parameter"}
# Methods that change their owner (beyond torch's trailing-underscore convention and numpy's `out=`).
MUTATING_METHODS = {
    "append", "extend", "insert", "update", "pop", "clear", "sort", "reverse", "fill", "resize", "put", "itemset", "setflags",
    "step", "backward", "zero_grad", "assign", "assign_add", "assign_sub", "scatter_nd_update", "set_data", "attach_grad",
}  # fmt: skip
GRADIENT_WRITERS = {"backward", "step", "zero_grad", "grad", "gradient"}  # calls that change `.grad` of the leaves they reach


def base_name(node: ast.expr) -> str | None:
    """The variable an attribute, index or view chain starts from: `w` for `w.data[0]`, `x` for `x.view(2).T`."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value
        else:
            return None


def shared_with(node: ast.expr) -> set[str]:
    """The names whose memory a value shares: `v = w.view(2)`, `t = torch.from_numpy(a)`, `u = w`, `g = w.grad`."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Subscript) or node.attr in VIEW_METHODS:
            return shared_with(node.value)
        return set()
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in _VIEW_FUNCTIONS:  # torch.from_numpy(a), np.asarray(t): the argument's memory
            return shared_with(node.args[0]) if node.args else set()
        if isinstance(func, ast.Attribute) and name in VIEW_METHODS:
            return shared_with(func.value)
    if isinstance(node, (ast.Tuple, ast.List)):
        return set().union(*(shared_with(element) for element in node.elts)) if node.elts else set()
    return set()


def changed_names(node: ast.AST) -> list[tuple[str, str]]:
    """(name, how) for every name code not followed could change: rebound, assigned through an index or attribute,
    changed by an in-place method, or handed to a call (which may mutate it or keep it)."""
    changed: dict[str, str] = {}

    def add(name: str | None, how: str) -> None:
        if name is not None and name not in changed:
            changed[name] = how

    for item in ast.walk(node):
        if isinstance(item, ast.Name) and isinstance(item.ctx, (ast.Store, ast.Del)):
            add(item.id, "assigned")
        elif isinstance(item, (ast.Attribute, ast.Subscript)) and isinstance(item.ctx, (ast.Store, ast.Del)):
            add(base_name(item), f"{ast.unparse(item)} assigned")
        elif isinstance(item, ast.Call):
            func = item.func
            if isinstance(func, ast.Attribute) and (func.attr.endswith("_") or func.attr in MUTATING_METHODS):
                add(base_name(func.value), f".{func.attr}()")
            if not _may_change_arguments(item):
                continue
            for argument in [*item.args, *(keyword.value for keyword in item.keywords)]:
                for inner in ast.walk(argument):
                    if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load):
                        add(inner.id, f"passed to {_callee(func)}")
    return list(changed.items())


def writes_gradients(node: ast.AST) -> bool:
    """Whether code not followed may change `.grad` of leaves: a backward(), an optimizer step, a gradient call."""
    for item in ast.walk(node):
        if isinstance(item, ast.Call):
            name = item.func.attr if isinstance(item.func, ast.Attribute) else item.func.id if isinstance(item.func, ast.Name) else ""
            if name in GRADIENT_WRITERS:
                return True
        if isinstance(item, ast.Attribute) and item.attr == "grad" and isinstance(item.ctx, ast.Store):
            return True
    return False


_PURE_BUILTINS = {"print", "len", "range", "enumerate", "zip", "isinstance", "type", "str", "repr", "float", "int", "abs", "min", "max",
                  "sum", "round", "list", "tuple", "sorted", "display", "format", "bool", "id", "dir", "help"}  # fmt: skip
_PURE_MODULES = {"torch", "np", "numpy", "math", "jnp", "jax", "tf", "F", "plt", "sympy", "sp"}


def _may_change_arguments(call: ast.Call) -> bool:
    """Whether a call may change (or keep, to change later) what it is handed: not print(), not torch.sin(x), yes f(x),
    torch.optim.SGD([w]), torch.add(a, b, out=c)."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id not in _PURE_BUILTINS
    dotted = ast.unparse(func)
    root, last = dotted.split(".")[0], dotted.split(".")[-1]
    pure = root in _PURE_MODULES and "optim" not in dotted and not last.endswith("_")
    return not pure or any(keyword.arg == "out" for keyword in call.keywords)


def _callee(func: ast.expr) -> str:
    text = ast.unparse(func)
    return text if len(text) <= 40 else f"{text[:39]}…"
