"""Case files: YAML read with the line of every key, validated by the schema, found in directories.

Takes paths; gives ``Case`` objects, and each case prepared as a ``Problem`` (parsed, inputs as arrays).
"""
