"""``oreline invest``: which expansion to fund, when, and what waiting is worth.

A two-stage stochastic programme: first-stage build decisions (integer modules, decided
at stages of a scenario tree), second-stage monthly plans, one per sampled scenario.
"""

from oreline.invest.problem import InvestProblem, build_problem

__all__ = ["InvestProblem", "build_problem"]
