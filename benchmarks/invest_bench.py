"""``oreline invest`` at scale: the extensive form's build and load, Benders against it.

One measurement per line, each in its own subprocess (so memory is returned and one
failure does not stop the rest), printed as JSON lines and summarised as a table::

    python benchmarks/invest_bench.py --out /tmp/invest_bench.jsonl            # everything
    python benchmarks/invest_bench.py --only build --sizes 10 100              # one part

Parts:

* ``build``: ``build_problem`` (sampling the kmp stress set, compiling, the deltas),
  then the extensive form's ``build_extensive`` and ``load_extensive`` (until HiGHS's
  ``passModel`` returns), with its columns, rows and nonzeros;
* ``gap``: time to a relative gap (default 0.1 %) by the extensive form (HiGHS's MIP gap)
  and by Benders in-process, on a process pool and on a Dask LocalCluster;
* ``target``: the issue's target: the kmp decision with 500 scenarios to a 1 % gap.

``--child gap N extensive - 1 GAP limit=SECONDS`` stops the extensive form's MILP at a
time limit and reports the gap reached (to bound a ratio when it cannot finish);
``--child gap N benders EXECUTOR WORKERS GAP milp`` uses the MILP master instead of the
tree master Benders takes where it applies (the same rows and few decisions on every
path); a flag ``w=0.3`` weighs CVaR 95 % by 0.3 (Benders only).

``--cold`` runs Benders' subproblems as before warm starts (every solve from the base
basis, no point recalled), to compare; Benders rows report solves and simplex
iterations, which do not depend on the machine's load.

Times are wall seconds on a shared machine: the load (``uptime``) is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _problem(n: int) -> Any:
    from oreline.invest import build_problem
    from oreline.scenario import load_scenario
    from oreline.stress.files import load_stress

    return build_problem(load_scenario("kmp"), load_stress("kmp")[0], n, None)


def measure_build(n: int) -> dict[str, Any]:
    """Seconds of build_problem, build_extensive and load_extensive at ``n`` scenarios."""
    from oreline.invest.extensive import build_extensive, load_extensive

    t0 = time.perf_counter()
    p = _problem(n)
    t1 = time.perf_counter()
    form = build_extensive(p)
    t2 = time.perf_counter()
    load_extensive(form)
    t3 = time.perf_counter()
    a = form.matrix
    return {"part": "build", "scenarios": n, "problem_s": t1 - t0, "build_s": t2 - t1,
            "load_s": t3 - t2, "cols": a.shape[1], "rows": a.shape[0], "nnz": int(a.nnz)}


def measure_gap(n: int, method: str, executor: str, workers: int, gap: float,
                warm: bool = True, master: str = "auto", time_limit: float | None = None,
                risk_weight: float = 0.0) -> dict[str, Any]:
    """Seconds to ``gap`` by one method (problem building excluded, reported apart).

    ``time_limit`` stops the extensive form's MILP (HiGHS's ``time_limit``) and reports
    the gap it had reached; ``master`` picks Benders' master (``tree`` or ``milp``).
    """
    t0 = time.perf_counter()
    p = _problem(n)
    t1 = time.perf_counter()
    row: dict[str, Any] = {"part": "gap", "scenarios": n, "method": method,
                           "executor": executor, "workers": workers, "gap": gap,
                           "problem_s": t1 - t0}
    if method == "extensive":
        from oreline.invest.extensive import build_extensive, load_extensive

        h = load_extensive(build_extensive(p), gap)
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        t2 = time.perf_counter()
        h.run()
        info = h.getInfo()
        row.update(build_load_s=t2 - t1, solve_s=time.perf_counter() - t1,
                   status=h.modelStatusToString(h.getModelStatus()),
                   objective=-float(info.objective_function_value),
                   bound=-float(info.mip_dual_bound), reached=float(info.mip_gap),
                   time_limit=time_limit)
        return row
    from oreline.invest.benders import solve_benders
    from oreline.invest.executors import SubproblemData, make_evaluator

    ev = make_evaluator(SubproblemData.of(p), executor, workers, warm=warm)
    t2 = time.perf_counter()
    try:
        ben = solve_benders(p, risk_weight, 0.95, gap=gap, evaluator=ev,
                            master_kind=master)  # type: ignore[arg-type]
    finally:
        ev.close()
    row.update(start_s=t2 - t1, solve_s=time.perf_counter() - t1, objective=ben.objective,
               bound=ben.bound, reached=ben.gap, iterations=ben.iterations,
               subproblem_s=ben.subproblem_seconds, master_s=ben.master_seconds,
               warm=warm, master=master, risk_weight=risk_weight, solves=ben.solves,
               simplex_iterations=ben.simplex_iterations,
               decision=[p.label(int(p.first.col_type[i])) + f"x{int(ben.y[i])}"
                         for i in range(p.first.n) if ben.y[i] > 0.5
                         and p.first.col_type[i] >= 0 and p.types[int(p.first.col_type[i])]
                         .stage == 0])
    return row


def _child(args: list[str], timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", *args]
    load = os.getloadavg()[0]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"args": args, "error": f"over {timeout:.0f} s", "load": load}
    if done.returncode != 0:
        return {"args": args, "error": done.stderr.strip().splitlines()[-1:], "load": load}
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    out["load"] = load
    return out


def plan(only: str | None, sizes: list[int], gap: float, workers: int, cold: bool = False
         ) -> list[list[str]]:
    """The child runs to make, in order."""
    runs = _plan(only, sizes, gap, workers)
    if cold:
        runs = [[*r, "cold"] for r in runs if r[0] == "gap" and r[2] == "benders"]
    return runs


def _plan(only: str | None, sizes: list[int], gap: float, workers: int) -> list[list[str]]:
    runs: list[list[str]] = []
    if only in (None, "build"):
        runs += [["build", str(n)] for n in sizes]
    if only in (None, "gap"):
        for n in sizes:
            runs.append(["gap", str(n), "extensive", "-", "1", str(gap)])
            runs.append(["gap", str(n), "benders", "in-process", "1", str(gap)])
            runs.append(["gap", str(n), "benders", "pool", str(workers), str(gap)])
            runs.append(["gap", str(n), "benders", "dask", str(workers), str(gap)])
    if only in (None, "target"):
        runs.append(["gap", "500", "benders", "pool", str(workers), "0.01"])
    return runs


def main() -> None:
    """Run the parts in subprocesses, or one measurement (``--child``)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--child", nargs="+")
    ap.add_argument("--only", choices=["build", "gap", "target"])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--gap", type=float, default=1e-3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=1200)
    ap.add_argument("--cold", action="store_true",
                    help="Benders without warm starts (as before), to compare")
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.child:
        kind, n, *rest = args.child
        if kind == "build":
            print(json.dumps(measure_build(int(n))))
        else:
            method, executor, workers, gap, *flags = rest
            limit = [float(x[6:]) for x in flags if x.startswith("limit=")]
            master = "milp" if "milp" in flags else "auto"
            risk = [float(x[2:]) for x in flags if x.startswith("w=")]
            print(json.dumps(measure_gap(int(n), method, executor, int(workers), float(gap),
                                         warm="cold" not in flags, master=master,
                                         time_limit=limit[0] if limit else None,
                                         risk_weight=risk[0] if risk else 0.0)))
        return
    for run in plan(args.only, args.sizes, args.gap, args.workers, args.cold):
        row = _child(run, args.timeout)
        line = json.dumps(row)
        print(line, flush=True)
        if args.out:
            with Path(args.out).open("a") as fh:
                fh.write(line + "\n")


if __name__ == "__main__":
    main()
