"""The JSON Schema of a case file: the loader validates with it, editors read it."""

from __future__ import annotations

from typing import Any

ENGINES = ("sympy", "numpy", "torch", "fd")  # the engine names a case may ask for, in the report's column order

FORMULA_KINDS = ("formula", "hessian_formula", "jacobian_formula", "jvp_formula")  # the expect keys whose claims are expressions of the inputs
IDENTIFIER = "^[A-Za-z_][A-Za-z0-9_]*$"
# NOTE: `$` also matches before a final newline (in Python's re, which jsonschema uses): "x\n" must not be a name.
NAME = {"type": "string", "pattern": IDENTIFIER, "not": {"pattern": "\n"}}

CASE_PROPERTIES: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "description": "Unique within a run."},
    "expr": {
        "type": "string",
        "minLength": 1,
        "description": "The expression, e.g. mean(5*(x+1)**2), or a program of statements (a block scalar, `expr: |`).",
    },
    "output": {**NAME, "description": "The program's output variable, where it is not the last expression or assignment."},
    "inputs": {
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"pattern": IDENTIFIER, "not": {"pattern": "\n"}},
        "additionalProperties": {"$ref": "#/$defs/tensor"},
        "description": "Input name to value: a number, nested list, or constant expression such as ones(2, 2). "
        "A program may create its inputs itself instead (x = torch.tensor([1., 2.], requires_grad=True)).",
    },
    "wrt": {
        "type": "array",
        "items": NAME,
        "uniqueItems": True,
        "minItems": 1,
        "description": "The inputs (or program variables: torch's retain_grad) to differentiate with respect to.",
    },
    "grad_output": {"$ref": "#/$defs/tensor"},
    "dtype": {"enum": ["float64", "float32"]},
    "device": {"enum": ["auto", "cpu", "cuda"]},
    "engines": {"type": "array", "items": {"enum": list(ENGINES)}, "uniqueItems": True, "minItems": 1},
    "tolerance": {
        "type": "object",
        "properties": {"rtol": {"type": "number", "minimum": 0}, "atol": {"type": "number", "minimum": 0}},
        "additionalProperties": False,
    },
    "expect": {
        "type": "object",
        "properties": {
            "value": {"$ref": "#/$defs/tensor"},
            "grad": {"type": "object", "additionalProperties": {"$ref": "#/$defs/tensor"}},
            # A constant derivative may be written as a plain number: formula: {y: 3}.
            "formula": {"type": "object", "additionalProperties": {"anyOf": [{"type": "string", "minLength": 1}, {"type": "number"}]}},
            "values": {
                "type": "object",
                "propertyNames": {"pattern": IDENTIFIER, "not": {"pattern": "\n"}},
                "additionalProperties": {"$ref": "#/$defs/tensor"},
                "description": "Values of the program's variables (what print(y) shows in a tutorial).",
            },
            "hessian": {
                "type": "object",
                "additionalProperties": {"$ref": "#/$defs/tensor"},
                "description": "Per input `x` (its diagonal block) or pair `x,y`: the claimed Hessian block, of shape x.shape + y.shape.",
            },
            "hessian_formula": {
                "type": "object",
                "additionalProperties": {"type": "string", "minLength": 1},
                "description": "Per input or pair, the claimed Hessian block as an expression of the inputs, e.g. A + A.T.",
            },
            "jacobian": {"type": "object", "additionalProperties": {"$ref": "#/$defs/tensor"}, "description": "Per input: the claimed Jacobian."},
            "jacobian_formula": {
                "type": "object",
                "additionalProperties": {"type": "string", "minLength": 1},
                "description": "Per input x: the claimed Jacobian block (shape output.shape + x.shape) as an expression, e.g. diag(cos(x)).",
            },
            "jvp": {"$ref": "#/$defs/tensor", "description": "The claimed Jacobian-vector product along `jvp:`'s tangents."},
            "jvp_formula": {"type": "string", "minLength": 1, "description": "The claimed Jacobian-vector product as an expression, e.g. y*u + x*v."},
            "order": {
                "type": "object",
                "additionalProperties": {"$ref": "#/$defs/tensor"},
                "description": "Per input: the claimed derivative of the case's `order:` (d³f/dx³ for order: 3).",
            },
        },
        "additionalProperties": False,
    },
    "expect_mismatch": {"type": "string", "minLength": 1, "description": "Why this case's claim is known to be wrong."},
    "subgradient": {
        "enum": ["lenient", "strict"],
        "description": "At a point with no derivative (relu at 0): lenient (default) accepts any valid subgradient; strict fails.",
    },
    "mutate": {"type": "boolean", "description": "Negative controls: check that wrong gradients would be caught (as --mutate)."},
    "hessian": {"type": "boolean", "description": "Check the Hessian of a scalar output (Hessian-vector products for large inputs)."},
    "jacobian": {"type": "boolean", "description": "Check the full Jacobian of the output (small sizes)."},
    "order": {
        "type": "integer",
        "minimum": 3,
        "maximum": 6,
        "description": "Check the derivative of this order (3 to 6) of a scalar output with respect to each input of one element.",
    },
    "jvp": {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": {"$ref": "#/$defs/tensor"},
        "description": "Forward mode: a tangent per input (number, nested list or constant expression); checks J·tangent.",
    },
    "description": {"type": "string"},
    "source": {"type": "string"},
    "stand_in": {
        "type": "array",
        "items": NAME,
        "uniqueItems": True,
        "minItems": 1,
        "description": "Inputs whose values stand in for unknown ones (a tutorial's unseeded random draws): "
        "the case checks the derivative there, and its verdict and the summary say so.",
    },
    "tags": {"type": "array", "items": {"type": "string"}},
}

DEFS: dict[str, Any] = {
    "nested": {"anyOf": [{"type": "number"}, {"type": "array", "items": {"$ref": "#/$defs/nested"}}]},
    "tensor": {"anyOf": [{"$ref": "#/$defs/nested"}, {"type": "string", "minLength": 1}]},
    "case": {
        "type": "object",
        "properties": CASE_PROPERTIES,
        "required": ["name", "expr"],
        "additionalProperties": False,
    },
    # In a file of several cases, any key but name may come from `defaults:`.
    "listed_case": {
        "type": "object",
        "properties": CASE_PROPERTIES,
        "required": ["name"],
        "additionalProperties": False,
    },
    "defaults": {
        "type": "object",
        "properties": {key: value for key, value in CASE_PROPERTIES.items() if key != "name"},
        "additionalProperties": False,
    },
}

CASE_SCHEMA: dict[str, Any] = {"$defs": DEFS, "$ref": "#/$defs/case"}

# Stable: a new $id only for an incompatible format. The file at this address is `verifygrad schema`'s output,
# kept in the repository (schema/) and checked against it by the tests.
SCHEMA_ID = "https://raw.githubusercontent.com/verifygrad/verifygrad/main/schema/case.schema.json"

FILE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "verifygrad case file",
    "description": "One case, or several under `cases:` with shared `defaults:`.",
    "$defs": DEFS,
    "oneOf": [
        {"$ref": "#/$defs/case"},
        {
            "type": "object",
            "properties": {
                "cases": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/listed_case"}},
                "defaults": {"$ref": "#/$defs/defaults"},
            },
            "required": ["cases"],
            "additionalProperties": False,
        },
    ],
}
