"""Reports: the console table and panels, JSON, JUnit XML, plain text, ``--explain`` and its PyTorch reproducer.

Take outcomes (plain data); give what a person or a CI system reads. Nothing here decides a verdict.
"""
