"""The verdict: tolerances from an error budget, comparison, kinks, blame, claims, mutants, the judge.

Takes a case and its engines' results; gives a ``CaseOutcome`` (plain data, never printed here).
"""
