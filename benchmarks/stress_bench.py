"""Stress sweep benchmark: warm in-place updates against rebuild-and-solve; scaling.

    python benchmarks/stress_bench.py [--samples 200] [--out docs/benchmarks.md]

The section "## Stress sweeps (issue 4)" of the output file is replaced (or appended).

Warm: one live HiGHS model; each sample changes only the affected bounds and costs,
restarts from the base basis and solves (what ``oreline stress`` does).
Rebuild: each sample compiles the network, builds the LP, applies the same changes
to the arrays, loads a fresh HiGHS model and solves it cold.
Scaling: the same samples through a process pool and a Dask LocalCluster with 1 and
2 workers (this machine has 2 cores). Rates include start-up of the workers.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np

from oreline.model import build_model
from oreline.network import compile_network
from oreline.scenario import load_scenario
from oreline.solve import LiveModel
from oreline.stress import draw_samples, load_stress, run_sweep
from oreline.stress.apply import StressContext, occurrence
from oreline.stress.runner import Worker


def replace_section(path: Path, heading: str, text: str) -> None:
    """Put ``text`` (starting with ``heading``) in place of that section of ``path``."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start = old.find(heading)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        nxt = old.find("\n## ", start + len(heading))
        new = old[:start] + text.rstrip("\n") + "\n" + (old[nxt:] if nxt >= 0 else "")
    path.write_text(new, encoding="utf-8")


def rebuild_rate(scenario, samples) -> tuple[float, list[float], float]:
    """Rate, objectives and mean simplex iterations when every sample is rebuilt."""
    objs, iters = [], []
    t0 = time.perf_counter()
    for s in samples:
        lp = build_model(compile_network(scenario))
        ch = StressContext(lp).apply(list(s.occurrences))
        lp.col_lower, lp.col_upper, lp.cost = ch.col_lower, ch.col_upper, ch.cost
        lp.row_lower, lp.row_upper = ch.row_lower, ch.row_upper
        sol = LiveModel(lp).solve()
        objs.append(-sol.objective)
        iters.append(sol.iterations)
    return len(samples) / (time.perf_counter() - t0), objs, float(np.mean(iters))


def warm_rate(worker: Worker, samples) -> tuple[float, list[float], float]:
    """Rate, objectives and mean simplex iterations of warm in-place re-solves."""
    t0 = time.perf_counter()
    rows = [worker.run(s) for s in samples]
    rate = len(samples) / (time.perf_counter() - t0)
    return rate, [r["objective"] for r in rows], float(np.mean([r["iterations"] for r in rows]))


def local_events_case(size: str, n: int) -> tuple[str, float, float, bool, int]:
    """A generated network with one local event per sample (an outage or a shock).

    Each sample picks, from its own seed, one supplier outage, process outage or
    demand shock of 1-6 months: the kind of event a planner asks about one at a time.
    """
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from generator import scenario_for_size

    from oreline.stress.events import StressFile
    from oreline.stress.runner import Sample

    scenario = scenario_for_size(size)
    events = (
        [{"id": f"out-{c.id}", "type": "supplier_outage", "contract": c.id,
          "fraction": {"dist": "uniform", "low": 0.5, "high": 1.0},
          "duration": {"dist": "uniform", "low": 1, "high": 6}, "probability": 0.1}
         for c in scenario.contracts if c.enabled]
        + [{"id": f"down-{p.id}", "type": "process_outage", "process": p.id,
            "fraction": 0.5, "duration": {"dist": "uniform", "low": 1, "high": 3},
            "probability": 0.1} for p in scenario.processes]
        + [{"id": f"surge-{c.id}", "type": "demand_shock", "customers": [c.id],
            "factor": {"dist": "uniform", "low": 1.1, "high": 1.5},
            "duration": {"dist": "uniform", "low": 1, "high": 6}, "probability": 0.1}
           for c in scenario.customers])
    stress = StressFile.model_validate({"name": "local", "scenario": size, "events": events,
                                        "cold_check": 0})
    worker = Worker(scenario)
    rng = np.random.default_rng(0)
    samples = []
    for i in range(n):
        ev = stress.events[int(rng.integers(len(stress.events)))]
        occ = occurrence(ev, worker.ctx, None, float(rng.uniform(0.1, 0.9)))
        samples.append(Sample(i, ev.id, (occ,) if occ else ()))
    w_rate, w_obj, _ = warm_rate(worker, samples)
    r_rate, r_obj, _ = rebuild_rate(scenario, samples)
    agree = bool(np.allclose(w_obj, r_obj, rtol=1e-6))
    print(f"{size}: warm {w_rate:.2f}/s rebuild {r_rate:.2f}/s ratio {w_rate / r_rate:.1f}")
    return size, w_rate, r_rate, agree, worker.lp.n_cols


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--set", default="kmp")
    ap.add_argument("--out", type=Path, default=Path("docs/benchmarks.md"))
    ap.add_argument("--local-size", default="30k", help="generated network for local events")
    ap.add_argument("--local-samples", type=int, default=20)
    args = ap.parse_args()
    stress, base = load_stress(args.set)
    scenario = load_scenario(base)
    worker = Worker(scenario)
    samples = [s.__class__(s.index, s.name, s.occurrences, False)
               for s in draw_samples(stress, worker.ctx, args.samples)]
    lp = worker.lp
    rows = []
    w_rate, w_obj, w_it = warm_rate(worker, samples)
    r_rate, r_obj, r_it = rebuild_rate(scenario, samples)
    agree = np.allclose(w_obj, r_obj, rtol=1e-6)
    print(f"warm {w_rate:.1f}/s rebuild {r_rate:.1f}/s ratio {w_rate / r_rate:.1f} agree={agree}")
    scaling = []
    for executor, n in (("process", 1), ("process", 2), ("dask", 1), ("dask", 2)):
        res = run_sweep(scenario, samples, executor=executor, workers=n)
        scaling.append((executor, n, res.rate, res.seconds))
        print(executor, n, f"{res.rate:.1f}/s")
    local = local_events_case(args.local_size, args.local_samples)
    rows.append(f"| warm in-place (1 process) | {w_rate:.1f} | {1000 / w_rate:.1f} |")
    rows.append(f"| rebuild and solve cold (1 process) | {r_rate:.1f} | {1000 / r_rate:.1f} |")
    text = f"""## Stress sweeps (issue 4)

`python benchmarks/stress_bench.py --samples {args.samples}`. The run used the built-in
`{args.set}` stress set on the `{scenario.name}` scenario ({lp.n_cols:,} columns,
{lp.n_rows:,} rows) with {args.samples} Monte Carlo samples. The machine was
{platform.machine()} with 2 cores, running Python {platform.python_version()}.

| method | samples/s | ms per sample |
|---|---:|---:|
{chr(10).join(rows)}

Warm in-place updates are **{w_rate / r_rate:.1f}x** faster per sample than a rebuild here,
against a 10x target. Both methods reached the same objective on every sample: {agree}.
The `kmp` set's events are broad, and every sample runs the Dy/Tb licence regime with
approvals drawn month by month over 36 months. A warm solve therefore still needs
{w_it:,.0f} simplex iterations on average, against {r_it:,.0f} cold. With a model this
small ({lp.n_cols:,} columns) the rebuild itself is cheap, so the solve dominates both
methods.

A planner more often asks about one local event at a time: an outage or a surge on one
supplier, process or customer. `--local-size {local[0]}` runs that case on a generated
network of {local[4]:,} columns, with {args.local_samples} samples of one event each:

| method | samples/s | ms per sample |
|---|---:|---:|
| warm in-place | {local[1]:.2f} | {1000 / local[1]:.0f} |
| rebuild and solve cold | {local[2]:.2f} | {1000 / local[2]:.0f} |

Here warm in-place updates are **{local[1] / local[2]:.1f}x** faster per sample. Objectives
agree: {local[3]}.

| executor | workers | samples/s (with start-up) | wall s |
|---|---:|---:|---:|
{chr(10).join(f"| {e} | {n} | {r:.1f} | {s:.1f} |" for e, n, r, s in scaling)}

The pool and Dask rates include starting the workers (spawned Python processes, each
compiling the model once), so they grow with more samples. On 2 cores, 2 workers is
the ceiling.

### Pointing a sweep at a real Dask cluster

1. Start a scheduler, and workers with `pip install "oreline[dask]"`:

   ```bash
   dask scheduler                      # on the scheduler host, port 8786
   dask worker tcp://SCHEDULER:8786 --nworkers 8 --nthreads 1   # on each worker host
   ```

   Give each worker process one thread. HiGHS solves one sample per process, and
   Oreline parallelises across samples.

2. Run the sweep against it:

   ```bash
   oreline stress kmp --samples 20000 --scheduler tcp://SCHEDULER:8786
   ```

The scenario is scattered to every worker once. Samples are drawn on the client from
`(seed, sample index)` and sent in chunks, and each worker keeps one live model per
scenario. Results are therefore identical to a local run with the same seed. The
workers need the same Oreline version as the client.
"""
    replace_section(args.out, "## Stress sweeps (issue 4)", text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
