"""``oreline invest``'s extensive form by three tools: ours, linopy and Pyomo.

Every tool starts from the same :class:`oreline.invest.InvestProblem` (sampling, compiling
and the scenarios' events are shared and timed apart) and exposes ``build(problem)``
(ours: ``build_extensive``; the peers: the labelled data of :mod:`benchmarks.invest_data`
and then their own model), ``load(model)`` (until HiGHS holds the model), ``solve(handle)``
(the minimised objective) and ``counts(handle)`` (columns, integer columns, rows,
nonzeros, as HiGHS holds them). ``benchmarks/test_invest_peers_agree.py`` checks that the
three give HiGHS the same MILP; ``benchmarks/invest_peers_bench.py`` times them.
"""

from __future__ import annotations

from typing import Any

import highspy
from invest_data import invest_data
from invest_linopy import LinopyInvestPeer
from invest_pyomo import PyomoInvestPeer

from oreline.invest import InvestProblem

__all__ = ["INVEST_PEERS", "LinopyTool", "OursTool", "PyomoTool", "highs_counts"]


def highs_counts(h: highspy.Highs) -> tuple[int, int, int, int]:
    """(columns, integer columns, rows, nonzeros) of the model a HiGHS instance holds."""
    lp = h.getLp()
    ints = sum(1 for v in lp.integrality_ if int(v) > 0)
    return int(lp.num_col_), ints, int(lp.num_row_), int(h.getNumNz())


class OursTool:
    """Oreline: ``build_extensive`` then ``load_extensive`` (one ``passModel``)."""

    name = "oreline"

    def __init__(self, risk_weight: float = 0.0, alpha: float = 0.95,
                 mip_rel_gap: float = 0.0) -> None:
        self.w, self.alpha, self.gap = risk_weight, alpha, mip_rel_gap

    def build(self, problem: InvestProblem) -> Any:
        """The extensive form's arrays."""
        from oreline.invest.extensive import build_extensive

        return build_extensive(problem, self.w, self.alpha)

    def load(self, form: Any) -> highspy.Highs:
        """A HiGHS instance holding the form (threads 1, as the peers)."""
        from oreline.invest.extensive import load_extensive

        h = load_extensive(form, self.gap)
        h.setOptionValue("threads", 1)
        return h

    def solve(self, h: highspy.Highs) -> float:
        """Run HiGHS; return the minimised objective."""
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"oreline: {h.modelStatusToString(h.getModelStatus())}")
        return float(h.getInfo().objective_function_value)

    def counts(self, h: highspy.Highs) -> tuple[int, int, int, int]:
        """(columns, integer columns, rows, nonzeros)."""
        return highs_counts(h)


class LinopyTool(OursTool):
    """linopy: :func:`invest_data` then :class:`LinopyInvestPeer`."""

    name = "linopy"

    def __init__(self, risk_weight: float = 0.0, alpha: float = 0.95,
                 mip_rel_gap: float = 0.0) -> None:
        super().__init__(risk_weight, alpha, mip_rel_gap)
        self.peer = LinopyInvestPeer(mip_rel_gap=mip_rel_gap)

    def build(self, problem: InvestProblem) -> Any:
        """The linopy model."""
        return self.peer.build(invest_data(problem, self.w, self.alpha))

    def load(self, model: Any) -> Any:
        """linopy's HiGHS solver object (``io_api='direct'``)."""
        return self.peer.load(model)

    def solve(self, handle: Any) -> float:
        """Solve through linopy."""
        return self.peer.solve(handle)

    def counts(self, handle: Any) -> tuple[int, int, int, int]:
        """(columns, integer columns, rows, nonzeros)."""
        return highs_counts(handle.solver_model)


class PyomoTool(LinopyTool):
    """Pyomo: :func:`invest_data` then :class:`PyomoInvestPeer`."""

    name = "pyomo"

    def __init__(self, risk_weight: float = 0.0, alpha: float = 0.95,
                 mip_rel_gap: float = 0.0) -> None:
        OursTool.__init__(self, risk_weight, alpha, mip_rel_gap)
        self.peer = PyomoInvestPeer(mip_rel_gap=mip_rel_gap)  # type: ignore[assignment]

    def counts(self, handle: Any) -> tuple[int, int, int, int]:
        """(columns, integer columns, rows, nonzeros)."""
        return highs_counts(handle._solver_model)


INVEST_PEERS: dict[str, type[OursTool]] = {"oreline": OursTool, "linopy": LinopyTool,
                                           "pyomo": PyomoTool}
