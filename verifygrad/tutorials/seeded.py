"""Values of torch.randn/torch.rand after torch.manual_seed(k), reproduced with torch's own generator."""

from __future__ import annotations

import math

MAX_DRAWN = 100_000  # elements of one random draw the reader makes (a seeded one is written out number by number)


def too_many_drawn(dims: tuple[int, ...]) -> str:
    """Why a draw is not made: its size (a notebook's 10000 x 10000 benchmark input would take gigabytes and minutes)."""
    return f"a random draw of {math.prod(dims)} elements (the reader draws at most {MAX_DRAWN})"


def reproduce(seed: int, calls: list[tuple[str, tuple[int, ...]]]) -> str | None:
    """The last call's values as a nested list literal (float32 values written exactly); None without torch."""
    try:
        import torch  # imported only for a seeded random tensor: reading a tutorial needs no torch otherwise
    except ImportError:
        return None
    generator = torch.Generator().manual_seed(seed)
    values = None
    for kind, shape in calls:
        values = (torch.randn if kind == "randn" else torch.rand)(*shape, generator=generator, dtype=torch.float32)
    return repr(values.double().tolist()) if values is not None else None


def reproduce_numpy(seed: int, calls: list[tuple[str, tuple[int, ...]]]) -> str:
    """numpy's legacy ``np.random.seed(k)`` stream (``randn``, ``rand``): the last call's values, float64, as a nested list literal."""
    import numpy as np

    state = np.random.RandomState(seed)
    values = None
    for kind, shape in calls:
        values = state.randn(*shape) if kind == "randn" else state.rand(*shape)
    return repr(np.asarray(values).tolist())


def reproduce_jax(key: tuple, draw: str, shape: tuple[int, ...], options: dict, streams: tuple[bool, ...], x64: bool) -> list[str] | None:
    """A ``jax.random`` draw from the key ``key`` (``(maker, seed, *steps)``, each step ``("split", num, index)`` or
    ``("fold_in", data)``), once per threefry stream named (``jax_threefry_partitionable`` on or off), each as a nested
    list literal of float64 values; None without jax."""
    try:
        import jax  # imported only for a seeded JAX draw: reading a tutorial needs no jax otherwise
    except ImportError:
        return None
    import numpy as np

    settings = ("jax_threefry_partitionable", "jax_enable_x64")
    before = {name: getattr(jax.config, name) for name in settings}
    values = []
    try:
        jax.config.update("jax_enable_x64", x64)
        for partitionable in streams:
            jax.config.update("jax_threefry_partitionable", partitionable)  # NOTE: jax 0.5 turned it on, changing every draw
            maker, seed, *steps = key
            made = (jax.random.PRNGKey if maker == "PRNGKey" else jax.random.key)(seed)
            for step in steps:
                made = jax.random.split(made, step[1])[step[2]] if step[0] == "split" else jax.random.fold_in(made, step[1])
            drawn = getattr(jax.random, draw)(made, shape=shape, **options)
            values.append(repr(np.asarray(drawn, dtype=np.float64).tolist()))
    finally:
        for name, value in before.items():
            jax.config.update(name, value)
    return values
