"""Tutorials read where they stand: documents split into blocks, code read statically into cases."""
