"""The expression language: the op table, programs as flat node lists, the parser, constant constructors.

Takes expression text; gives a ``Program`` whose every node is a primitive of ``ops.OPS``.
"""
