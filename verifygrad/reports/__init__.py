"""Machine-readable and plain-text views of a run's outcomes, for CI systems and test runners."""
