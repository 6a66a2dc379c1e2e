"""Each framework's ways of asking for a derivative, as one table per framework onto the language's quantities.

Frameworks differ in how a derivative is requested (``backward()`` then ``.grad``, ``grad(f)(x)``, a tape),
not in the arithmetic: the reader looks a call's full path up here (after import aliases are resolved)
and learns which quantity it is — a gradient, a Jacobian, a Hessian, a JVP or a VJP — and where the
function, the arguments to differentiate and the options are. Nothing here knows a tutorial.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Request:
    """A function transform: ``kind`` of the function given first, with respect to the arguments ``argnums`` names."""

    kind: str  # "grad", "value_and_grad", "grad_and_value", "elementwise_grad", "jacobian", "hessian", "vjp", "jvp", "jit", "vmap"
    argnums: tuple[str, ...] = ("argnums",)  # the keyword (or keywords) naming the differentiated arguments
    default: int = 0  # the argument differentiated when none is named
    position: int | None = None  # where argnums may also be written positionally (mindspore.grad(f, (2, 3)))
    dtype: str = "float32"  # what a Python number becomes when the function is differentiated at it


def _jax(kind: str) -> Request:
    return Request(kind, ("argnums",), 0, 1 if kind in ("grad", "value_and_grad", "jacobian", "hessian") else None)


_JAX = {"grad": "grad", "value_and_grad": "value_and_grad", "jacfwd": "jacobian", "jacrev": "jacobian", "jacobian": "jacobian",
        "hessian": "hessian", "vjp": "vjp", "jvp": "jvp", "jit": "jit", "checkpoint": "jit", "remat": "jit", "vmap": "vmap"}  # fmt: skip
_TORCH_FUNC = {"grad": "grad", "grad_and_value": "grad_and_value", "jacrev": "jacobian", "jacfwd": "jacobian", "hessian": "hessian",
               "vjp": "vjp", "jvp": "jvp", "vmap": "vmap"}  # fmt: skip
_HIPS = {"grad": "grad", "elementwise_grad": "elementwise_grad", "jacobian": "jacobian", "hessian": "hessian", "value_and_grad": "value_and_grad"}

# Full path -> the request it makes.
TRANSFORMS: dict[str, Request] = {
    **{f"jax.{name}": _jax(kind) for name, kind in _JAX.items()},
    **{f"torch.func.{name}": Request(kind, ("argnums",), 0, 1) for name, kind in _TORCH_FUNC.items()},
    **{f"functorch.{name}": Request(kind, ("argnums",), 0, 1) for name, kind in _TORCH_FUNC.items()},
    "torch.vmap": Request("vmap"), "torch.compile": Request("jit"), "torch.jit.script": Request("jit"), "tensorflow.function": Request("jit"),
    **{f"autograd.{name}": Request(kind, ("argnum",), 0, 1, "float64") for name, kind in _HIPS.items()},
    **{f"{module}.{name}": Request(kind, ("grad_position",), 0, 1) for module in ("mindspore", "mindspore.ops")
       for name, kind in (("grad", "grad"), ("value_and_grad", "value_and_grad"))},
}  # fmt: skip

# torch.autograd.functional: the function and the point are given together; the result is the quantity itself.
FUNCTIONAL = {
    "torch.autograd.functional.jacobian": "jacobian", "torch.autograd.functional.hessian": "hessian",
    "torch.autograd.functional.vjp": "vjp", "torch.autograd.functional.jvp": "jvp",
    "torch.autograd.functional.hvp": "hvp", "torch.autograd.functional.vhp": "hvp",
}  # fmt: skip

# Gradients of outputs with respect to inputs, returned (not accumulated into .grad): (outputs, inputs, grad_outputs keyword).
GRADIENT_CALLS = {"torch.autograd.grad": "grad_outputs", "paddle.grad": "grad_outputs", "paddle.autograd.grad": "grad_outputs"}

TAPES = {"tensorflow.GradientTape"}  # `with tf.GradientTape() as tape:`; tape.gradient / tape.jacobian
RECORDING = {"mxnet.autograd.record", "mxnet.autograd.train_mode", "torch.enable_grad", "paddle.enable_grad"}  # blocks that change nothing read
NOT_RECORDING = {"torch.no_grad", "torch.inference_mode", "mxnet.autograd.pause", "paddle.no_grad", "tensorflow.stop_recording"}
STOP_GRADIENT = {"jax.lax.stop_gradient", "tensorflow.stop_gradient", "mindspore.ops.stop_gradient", "torch.detach"}

# Leaves by construction: tf.Variable(v) is watched by every tape; paddle and mindspore Parameters require grad.
LEAF_MAKERS = {"tensorflow.Variable", "mindspore.Parameter", "torch.nn.Parameter", "torch.nn.parameter.Parameter"}
# Methods that make the receiver a leaf: MXNet's x.attach_grad(), TensorFlow's tape.watch(x) (the argument), torch's requires_grad_().
ATTACH = {"attach_grad", "requires_grad_"}

# Constructors of constant tensors, by full path's last part, in every library the reader maps.
DATA = {"tensor", "Tensor", "FloatTensor", "DoubleTensor", "as_tensor", "from_numpy", "array", "asarray", "constant", "to_tensor", "convert_to_tensor"}
SHAPED = {"ones": "ones", "zeros": "zeros", "arange": "arange", "linspace": "linspace", "eye": "eye", "full": "full"}
LIBRARIES = {"torch", "numpy", "jax", "autograd", "tensorflow", "mxnet", "paddle", "mindspore", "math"}

NUMBER_DTYPE = {"autograd": "float64", "numpy": "float64", "math": "float64"}  # a Python float differentiated by these stays float64

FUNCTION_CLASSES = {"torch.autograd.Function", "torch.autograd.function.Function"}  # subclasses pair a forward with a custom backward
CUSTOM_VJP = {"jax.custom_vjp", "jax.custom_jvp"}  # f.defvjp(fwd, bwd); f.defjvp(f_jvp) or f.defjvps(rule, ...)
CUSTOM_GRADIENT = {"tensorflow.custom_gradient"}  # def f(x): ...; return y, grad

# Checks that compare a rule's gradients with finite differences and change nothing (the rule itself is checked, exactly).
CHECKS = {"torch.autograd.gradcheck", "torch.autograd.gradgradcheck", "torch.autograd.gradcheck.gradcheck", "jax.test_util.check_grads"}

SEEDED_JAX = "not checkable: seeded JAX random values need jax"


def argnums_of(request: Request, positional: list, keywords: dict) -> object:
    """Where the request names the differentiated arguments: a keyword, or (some libraries) the second positional argument."""
    for keyword in request.argnums:
        if keyword in keywords:
            return keywords[keyword]
    if request.position is not None and len(positional) > request.position:
        return positional[request.position]
    return None
