"""Build + load of kmp's extensive form by ours, linopy and Pyomo, at 10 / 100 / 1,000 scenarios.

Each (tool, scenarios) runs once in its own subprocess (memory returned, one failure or
timeout does not stop the rest), printed as a JSON line::

    python benchmarks/invest_peers_bench.py --out /tmp/invest_peers.jsonl
    python benchmarks/invest_peers_bench.py --sizes 10 100 --tools oreline linopy

Each child builds the same :class:`oreline.invest.InvestProblem` (kmp, its stress set,
``N`` samples: *problem*, shared by the three tools and timed apart), then times the
tool's *build* (ours: ``build_extensive``; a peer: its labelled data and its model) and
*load* (until HiGHS holds the model: ours ``passModel``, linopy ``Highs.from_model``
with ``io_api='direct'``, Pyomo ``appsi_highs.set_instance``), and reports the counts
HiGHS holds, the child's peak resident memory and the load average at its start.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def measure(tool: str, n: int) -> dict[str, Any]:
    """Seconds of the problem, the tool's build and its load at ``n`` kmp scenarios."""
    from invest_peers import INVEST_PEERS

    from oreline.invest import build_problem
    from oreline.scenario import load_scenario
    from oreline.stress.files import load_stress

    t0 = time.perf_counter()
    problem = build_problem(load_scenario("kmp"), load_stress("kmp")[0], n, None)
    t1 = time.perf_counter()
    peer = INVEST_PEERS[tool]()
    model = peer.build(problem)
    t2 = time.perf_counter()
    handle = peer.load(model)
    t3 = time.perf_counter()
    cols, ints, rows, nnz = peer.counts(handle)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return {"tool": tool, "scenarios": n, "problem_s": t1 - t0, "build_s": t2 - t1,
            "load_s": t3 - t2, "build_load_s": t3 - t1, "cols": cols, "ints": ints,
            "rows": rows, "nnz": nnz, "peak_gb": round(rss, 2)}


def _child(tool: str, n: int, timeout: float) -> dict[str, Any]:
    load = os.getloadavg()[0]
    cmd = [sys.executable, __file__, "--child", tool, str(n)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"tool": tool, "scenarios": n, "error": f"over {timeout:.0f} s", "load": load}
    if done.returncode != 0:
        return {"tool": tool, "scenarios": n, "load": load,
                "error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]}
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    out["load"] = load
    out["load_after"] = os.getloadavg()[0]
    return out


def main() -> None:
    """Run every (size, tool) in a subprocess, or one measurement (``--child``)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--child", nargs=2)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--tools", nargs="+", default=["oreline", "linopy", "pyomo"])
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.child:
        tool, n = args.child
        print(json.dumps(measure(tool, int(n))))
        return
    for n in args.sizes:
        for tool in args.tools:
            line = json.dumps(_child(tool, n, args.timeout))
            print(line, flush=True)
            if args.out:
                with Path(args.out).open("a") as fh:
                    fh.write(line + "\n")


if __name__ == "__main__":
    main()
