"""Process machinery under every stage: resource limits, the time-limited worker, parallel runs.

Takes work and limits; gives results, or a timeout or crash reported as that task's result.
"""
