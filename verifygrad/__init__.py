"""verifygrad: check a gradient three independent ways and compare."""

__version__ = "0.1.0"
