"""Layer objects written from scratch (``mul = MulLayer()``, ``out = mul.forward(x, y)``, ``dx, dy = mul.backward(dout)``):
each method read inline on what it is handed, what it keeps on ``self`` held by the instance for its later calls.

The class's backward is also checked as a rule of its forward (``custom.torch_function``); here its calls compute the numbers
a tutorial prints, which the hand-written gradients they are bound to claim to be the final output's derivatives.
"""

from __future__ import annotations

import ast
import copy
from typing import Any

from verifygrad.tutorials.values import Function, Instance, Other, Unknown


class LayerObjects:
    """The reader's layer instances: made by calling the class, their methods read inline (mixed into the code reader)."""

    layer_classes: dict[int, ast.ClassDef]  # a layer class's forward (``Function.definition``) -> its class
    names: dict[str, Any]
    in_method: int

    def instance(self, layer: Function, node: ast.Call) -> Instance | Unknown:
        """``MulLayer()``: a new instance, its ``__init__`` read with the arguments handed to it."""
        cls = self.layer_classes.get(id(layer.definition))
        if cls is None:
            return self.unknown(node, f"an instance of the layer class {cls_name(layer)}")
        made = Instance(cls.name, {item.name: item for item in cls.body if isinstance(item, ast.FunctionDef)})
        if "__init__" in made.methods:
            done = self.call_method(made, "__init__", node)
            if isinstance(done, Unknown):
                return done
        return made

    def call_method(self, owner: Instance, name: str, node: ast.Call) -> Any:
        """``layer.forward(x, y)``: the method's body read here with ``self`` the instance, then its return."""
        definition = owner.methods.get(name)
        if definition is None:
            return self.unknown(node, f"{owner.name}.{name}(), which the class does not define")
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            return self.unknown(node, f"{owner.name}.{name}() with keywords or *arguments")
        arguments = [owner, *(self.expression(arg) for arg in node.args)]
        body = [s for s in definition.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        if not body or not isinstance(body[-1], ast.Return):  # NOTE: __init__ returns nothing: read as returning None
            body = [*body, ast.Return(ast.Constant(None), lineno=definition.end_lineno or definition.lineno, col_offset=0)]
        method = copy.copy(definition)
        method.body = body
        self.in_method += 1
        try:
            return self.higher_order(Function(method, self.file_line(definition.lineno)), arguments, node)
        finally:
            self.in_method -= 1

    def attribute_of(self, owner: Instance, attribute: str, node: ast.Attribute) -> Any:
        """``self.x`` in a method: what an earlier call kept there (unknown where none did)."""
        if attribute in owner.attributes:
            return owner.attributes[attribute]
        return self.unknown(node, f"{owner.name}.{attribute}, which no call read so far set")

    def set_attribute(self, owner: Instance, attribute: str, value: Any) -> None:
        """``self.x = x`` in a method: kept for the instance's later calls (None kept as nothing known)."""
        if isinstance(value, Other) and value.what == "None":
            owner.attributes.pop(attribute, None)
        else:
            owner.attributes[attribute] = value


def cls_name(layer: Function) -> str:
    return layer.emitted or layer.definition.name
