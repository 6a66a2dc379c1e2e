"""Values of torch.randn/torch.rand after torch.manual_seed(k), reproduced with torch's own generator."""

from __future__ import annotations


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
