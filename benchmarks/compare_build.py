"""Planner build time of two source trees, measured in interleaved pairs.

One *run* (``--tree``) imports Oreline and the generator from one tree and times,
per scenario (kmp and the generated ``100k`` and ``300k`` sizes), ``compile_network``,
``build_model`` and loading the LP into HiGHS (``LiveModel``), best of ``--repeat``,
in CPU seconds of the process (``--clock wall`` for wall time).
The driver (``--base`` and ``--new``) runs base and new alternately in fresh
processes, ``--pairs`` times, and prints the median of each phase::

    python benchmarks/compare_build.py --base /work/base --new . --pairs 5

"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCENARIOS = ("kmp", "100k", "300k")
PHASES = ("compile", "build", "load")


def run_tree(tree: Path, repeat: int, clock: str = "cpu") -> dict[str, dict[str, float]]:
    """Best-of-``repeat`` seconds per scenario and phase, with ``tree``'s code.

    ``clock`` is ``cpu`` (this process's CPU time: the work is single-threaded, and
    other jobs on a shared machine barely move it) or ``wall``.
    """
    now = time.process_time if clock == "cpu" else time.perf_counter
    sys.path[:0] = [str(tree / "src"), str(tree / "benchmarks")]
    from generator import scenario_for_size

    import oreline
    from oreline.model import build_model
    from oreline.network import compile_network
    from oreline.scenario import load_scenario
    from oreline.solve import LiveModel

    if not Path(oreline.__file__).resolve().is_relative_to(tree):
        raise SystemExit(f"imported {oreline.__file__}, not the code of {tree}")
    out: dict[str, dict[str, float]] = {}
    for name in SCENARIOS:
        sc = load_scenario(name) if name == "kmp" else scenario_for_size(name)
        best = dict.fromkeys(PHASES, float("inf"))
        for _ in range(repeat):
            t0 = now()
            net = compile_network(sc)
            t1 = now()
            lp = build_model(net)
            t2 = now()
            LiveModel(lp)
            t3 = now()
            for phase, secs in zip(PHASES, (t1 - t0, t2 - t1, t3 - t2), strict=True):
                best[phase] = min(best[phase], secs)
        out[name] = best
    return out


def _one(tree: Path, repeat: int, clock: str) -> dict[str, dict[str, float]]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    cmd = [sys.executable, __file__, "--tree", str(tree), "--repeat", str(repeat),
           "--clock", clock]
    done = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    """Run one tree (``--tree``) or compare two in interleaved pairs."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tree", type=Path, help="time this tree once and print JSON")
    ap.add_argument("--base", type=Path)
    ap.add_argument("--new", type=Path)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    args = ap.parse_args()
    if args.tree is not None:
        print(json.dumps(run_tree(args.tree.resolve(), args.repeat, args.clock)))
        return
    runs: dict[str, list[dict[str, dict[str, float]]]] = {"base": [], "new": []}
    for i in range(args.pairs):
        for label, tree in (("base", args.base), ("new", args.new)):
            runs[label].append(_one(tree.resolve(), args.repeat, args.clock))
        print(f"pair {i + 1}: " + json.dumps(runs), file=sys.stderr, flush=True)
    print(f"{'scenario':>8} {'phase':>8} {'base s':>9} {'new s':>9} {'new/base':>9}")
    for name in SCENARIOS:
        for phase in PHASES:
            b = statistics.median(r[name][phase] for r in runs["base"])
            n = statistics.median(r[name][phase] for r in runs["new"])
            print(f"{name:>8} {phase:>8} {b:>9.4f} {n:>9.4f} {n / b:>9.3f}")


if __name__ == "__main__":
    main()
