"""``jax.random`` as tutorials use it: keys followed as known values, draws reproduced with jax itself.

A key is a value the reader knows exactly (``PRNGKey(0)``, then ``split`` and ``fold_in`` of it); a draw from one
(``normal``, ``uniform``, ``randint``, ``bernoulli``) is computed by jax, imported only when a tutorial makes one. jax 0.5
changed every draw (``jax_threefry_partitionable`` turned on): a page that does not say which stream it ran with is read on
each, and kept on the one its printed values agree with; where none tells, its draws get stand-in values whose claims are
not checked, never a guess.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from verifygrad.tutorials import autodiff
from verifygrad.tutorials.handwritten import known_value
from verifygrad.tutorials.seeded import MAX_DRAWN, too_many_drawn
from verifygrad.tutorials.values import CONST, Number, Other, Sequence, Tensor, Unknown

DRAWS = {"normal": ("shape", "dtype"), "uniform": ("shape", "dtype", "minval", "maxval"),
         "randint": ("shape", "minval", "maxval", "dtype"), "bernoulli": ("p", "shape")}  # fmt: skip  # positional after the key
MAX_SPLIT = 1024  # keys a split may make: more are not followed
AMBIGUOUS = "not checkable: the page does not say which JAX random stream made it (jax 0.5 changed every draw: jax_threefry_partitionable)"


@dataclass(frozen=True)
class Key(Other):
    """A JAX random key: ``(maker, seed, *steps)``, each step ``("split", num, index)`` or ``("fold_in", data)``. Printed, it shows no claim."""

    steps: tuple = ()


class JaxRandom:
    """The reader's ``jax.random`` (mixed into the code reader)."""

    jax_streams: tuple[bool, ...] = (True, False)  # the threefry streams the page may have run with (partitionable or not)
    jax_x64: bool = False

    def jax_config(self, node: ast.Call) -> None:
        """``jax.config.update("jax_threefry_partitionable", False)``, ``("jax_enable_x64", True)``: settings that change draws."""
        if len(node.args) != 2 or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[1], ast.Constant):
            return
        name, value = node.args[0].value, node.args[1].value
        if name == "jax_threefry_partitionable" and isinstance(value, bool):
            self.jax_streams = (value,)
        elif name == "jax_enable_x64" and isinstance(value, bool):
            self.jax_x64 = value

    def jax_random(self, path: str, node: ast.Call) -> Any:
        """A call of ``jax.random.*``: a key, keys, or a draw's values; Unknown (listed) for what is not followed."""
        short = path.rpartition(".")[2]
        arguments = {**dict(zip(("key", *DRAWS.get(short, ("num",))), node.args)), **{k.arg: k.value for k in node.keywords if k.arg}}
        if short in ("PRNGKey", "key"):
            seed = self.expression(arguments["key"]) if "key" in arguments else None  # NOTE: the seed is jax's first argument
            if not isinstance(seed, Number) or seed.value != int(seed.value) or len(node.args) + len(node.keywords) != 1:
                return self.unknown(node, f"jax.random.{short}() of a seed that is not a whole number the reader knows")
            return Key("a JAX random key", (short, int(seed.value)))
        key = self.expression(arguments["key"]) if "key" in arguments else None
        if isinstance(key, Unknown):
            return key
        if not isinstance(key, Key):
            return self.unknown(node, f"jax.random.{short}() of a key the reader does not know")
        if short == "split":
            count = self.expression(arguments["num"]) if "num" in arguments else Number(2)
            if not isinstance(count, Number) or count.value != int(count.value) or not 1 <= count.value <= MAX_SPLIT:
                return self.unknown(node, "jax.random.split() into a number of keys the reader does not know")
            return Sequence(tuple(Key(key.what, (*key.steps, ("split", int(count.value), index))) for index in range(int(count.value))))
        if short == "fold_in":
            data = self.expression(arguments["num"]) if "num" in arguments else None
            if not isinstance(data, Number) or data.value != int(data.value):
                return self.unknown(node, "jax.random.fold_in() of data that is not a whole number the reader knows")
            return Key(key.what, (*key.steps, ("fold_in", int(data.value))))
        if short not in DRAWS:
            return self.unknown(node, f"jax.random.{short}() (the reader reproduces normal, uniform, randint and bernoulli draws)")
        return self.jax_draw(short, key, arguments, node)

    def jax_draw(self, short: str, key: Key, arguments: dict[str, ast.expr], node: ast.Call) -> Tensor | Unknown:
        shape = self.shape_of([arguments["shape"]]) if "shape" in arguments else []
        if shape is None:
            return self.unknown(node, f"jax.random.{short}() with a shape that is not literal")
        options: dict[str, float | str] = {}
        for name in ("minval", "maxval", "p"):
            if name in arguments:
                number = self.expression(arguments[name])
                if not isinstance(number, Number):
                    return self.unknown(node, f"jax.random.{short}() with a {name} that is not a number the reader knows")
                options[name] = number.value
        written = ast.unparse(arguments["dtype"]).rpartition(".")[2] if "dtype" in arguments else None
        if written is not None and written not in ("float32", "float64", "int32", "int64"):
            return self.unknown(node, f"jax.random.{short}() of dtype {written}")
        dtype = "float64" if self.jax_x64 and written in (None, "float64") else "float32"
        if written is not None and short != "randint":
            options["dtype"] = written
        from verifygrad.tutorials.seeded import reproduce_jax

        dims = tuple(int(size) for size in shape)
        if math.prod(dims) > MAX_DRAWN:
            return self.unknown(node, too_many_drawn(dims))
        line, where = self.file_line(node.lineno), self.where(node.lineno)
        normal = f"randn({', '.join([*shape, 'seed=0'])})"
        stand_in = Tensor(CONST, line, where, value=normal if short == "normal" else f"sigmoid({normal})", random="unseeded", dtype=dtype)
        values = reproduce_jax(key.steps, short, dims, options, self.jax_streams, self.jax_x64)
        if values is None:
            self.not_read(node.lineno, autodiff.SEEDED_JAX)
            return stand_in
        if len(set(values)) > 1:
            self.not_read(node.lineno, AMBIGUOUS)
            return stand_in
        return Tensor(CONST, line, where, value=f"tensor({values[0]})", random="seeded", dtype=dtype)


def draws_agreeing(found: list) -> int:
    """How many values the page shows that seeded draws reach (`print(loss(W, b))`, the draw itself) agree with what the
    reader computes from the draws, to a few digits: the evidence of which stream made them (the wrong one agrees with
    none; the right one may miss a few, a float32 finite difference, which the verdict then judges as it does any claim)."""
    agreeing = 0
    for claim in found:
        if claim.kind != "value" or claim.status or claim.tensor is None or claim.values is None or claim.tensor.random != "seeded":
            continue
        value = known_value(claim.tensor)
        if value is not None and value.size == np.size(claim.values):
            agreeing += bool(np.allclose(value.ravel(), np.ravel(claim.values), rtol=1e-3, atol=1e-5))
    return agreeing
