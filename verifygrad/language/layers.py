"""nn layers without parameters, built and called at once: ``nn.Upsample(scale_factor=2, mode='bicubic')(x)``.

Such a layer's forward is its functional twin called with the constructor's arguments, in the same order after the
input (``nn.Upsample(size, scale_factor, mode, align_corners, recompute_scale_factor)`` is
``F.interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor)``), so the call is read as
that functional call, and torch's own ``F.interpolate`` computes it in the torch engine.
"""

from __future__ import annotations

import ast

from verifygrad.language.syntax import dotted

# The layer's name under torch.nn -> its functional twin under torch.nn.functional.
LAYERS = {"Upsample": "interpolate", "UpsamplingBilinear2d": "upsample_bilinear", "UpsamplingNearest2d": "upsample_nearest"}
NN_PREFIXES = frozenset({"nn", "torch.nn"})


def functional_call(node: ast.Call) -> ast.Call | None:
    """``nn.Layer(*a, **k)(x)`` as ``torch.nn.functional.layer(x, *a, **k)``; None where the called thing is no such layer."""
    built = node.func
    if not isinstance(built, ast.Call) or not isinstance(built.func, ast.Attribute):
        return None
    if dotted(built.func.value) not in NN_PREFIXES or built.func.attr not in LAYERS:
        return None
    func = ast.Attribute(ast.Attribute(ast.Name("torch", ast.Load()), "nn", ast.Load()), "functional", ast.Load())
    call = ast.Call(ast.Attribute(func, LAYERS[built.func.attr], ast.Load()), [*node.args, *built.args], [*built.keywords, *node.keywords])
    return ast.fix_missing_locations(ast.copy_location(call, node))
