"""The entry points: the ``verifygrad`` command, the pytest plugin, and ``new``'s case scaffolding.

Take command lines and pytest sessions; give reports and exit codes.
"""
