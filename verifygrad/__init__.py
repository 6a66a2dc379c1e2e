"""verifygrad: check a gradient four independent ways and compare."""

__version__ = "0.1.0"
