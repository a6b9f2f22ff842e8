"""Benchmark the planner LP build against linopy and Pyomo (issue 2, item 9).

One command::

    python benchmarks/run.py [--sizes 1k 10k 100k 300k 1M] [--tools oreline linopy pyomo]
                             [--repeat 5] [--out docs/benchmarks.md]

For each size the parent process generates the scenario (:mod:`generator`),
compiles it once with :func:`oreline.network.compile_network` and pickles the
network. Each (tool, size) then runs in its own subprocess (so peak RSS is that
tool's), which unpickles the network and times, separately:

* **build**: network -> the tool's model (ours: ``build_model``; linopy: a
  ``linopy.Model``; Pyomo: a ``ConcreteModel``);
* **load**: model -> HiGHS holds it (ours: ``LiveModel`` until ``passModel``
  returns; linopy: ``solvers.Highs.from_model(io_api="direct")``, i.e. its
  matrix export and ``addVars``/``addRows``; Pyomo: ``appsi_highs``'s
  ``set_instance``);
* **solve**: ``Highs.run`` through each tool's own call (linopy's includes its
  extraction of primal and dual arrays, Pyomo's its results object);
* **read**: solution -> the tool's labelled form (ours: per-family
  ``(entities, periods)`` arrays; linopy: ``Model.assign_result``; Pyomo:
  ``load_vars``);
* **passModel floor** (ours only): a bare ``Highs.passModel`` on our arrays,
  already converted to HiGHS's dtypes.

Build and load are repeated ``--repeat`` times (fewer when one repetition
takes longer than ``--budget`` seconds in total), solve and read likewise on
the last loaded model, cold each time (``clearSolver``); medians are reported
with the repeat counts. The parent checks that every tool hands HiGHS the same
number of columns, rows and nonzeros and reaches the same objective (1e-6
relative), and exits non-zero, writing nothing, if not. Results go to the
``## Planner LP build (issue 2)`` section of ``--out`` (other sections kept).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generator import SIZES, scenario_for_size  # noqa: E402

SECTION = "## Planner LP build (issue 2)"
DEFAULT_SIZES = ["1k", "10k", "30k", "100k", "300k", "1M"]
DEFAULT_TOOLS = ["oreline", "linopy", "pyomo"]
RTOL = 1e-6


def _rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _current_rss_mib() -> float:
    with Path("/proc/self/statm").open() as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ---------------------------------------------------------------------------- worker


def _passmodel_floor(lp: Any, repeat: int) -> list[float]:
    """Bare ``passModel`` on our arrays, already in HiGHS's dtypes (no Python work)."""
    import highspy
    import numpy as np

    inf = highspy.kHighsInf
    a = lp.matrix
    args = (lp.n_cols, lp.n_rows, int(a.nnz), int(highspy.MatrixFormat.kColwise),
            int(highspy.ObjSense.kMinimize), 0.0,
            np.clip(lp.cost, -inf, inf), np.clip(lp.col_lower, -inf, inf),
            np.clip(lp.col_upper, -inf, inf), np.clip(lp.row_lower, -inf, inf),
            np.clip(lp.row_upper, -inf, inf), a.indptr.astype(np.int32),
            a.indices.astype(np.int32), a.data.astype(np.float64),
            np.zeros(lp.n_cols, dtype=np.int32))
    out = []
    for _ in range(repeat):
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        t0 = time.perf_counter()
        h.passModel(*args)
        out.append(time.perf_counter() - t0)
        del h
    return out


def worker(tool: str, net_path: str, repeat: int, budget: float,
           solve_phases: bool = True) -> dict[str, Any]:
    """Time one tool on one pickled network; return the measurements."""
    from peers import PEERS

    peer = PEERS[tool]()
    load_avg = [os.getloadavg()[0]]
    with Path(net_path).open("rb") as fh:
        net = pickle.load(fh)
    gc.collect()
    base_rss = _current_rss_mib()
    build: list[float] = []
    load: list[float] = []
    handle = model = None
    spent = 0.0
    while len(build) < repeat and (not build or spent < budget):
        handle = model = None
        gc.collect()
        t0 = time.perf_counter()
        model = peer.build(net)
        t1 = time.perf_counter()
        handle = peer.load(model)
        t2 = time.perf_counter()
        build.append(t1 - t0)
        load.append(t2 - t1)
        spent += t2 - t0
    counts = peer.counts(handle)
    solve: list[float] = []
    read: list[float] = []
    objective = float("nan")
    spent = 0.0
    while solve_phases and len(solve) < repeat and (not solve or spent < budget):
        if solve:
            peer.clear(handle)
        t0 = time.perf_counter()
        objective = peer.solve(handle)
        t1 = time.perf_counter()
        peer.read(handle)
        t2 = time.perf_counter()
        solve.append(t1 - t0)
        read.append(t2 - t1)
        spent += t2 - t0
    out: dict[str, Any] = {
        "tool": tool, "build": build, "load": load, "solve": solve, "read": read,
        "cols": counts[0], "rows": counts[1], "nnz": counts[2], "objective": objective,
        "peak_rss_mib": _rss_mib(), "base_rss_mib": base_rss,
        "load_avg": [*load_avg, os.getloadavg()[0]],
    }
    if tool == "oreline":
        out["passmodel"] = _passmodel_floor(model, repeat)
    return out


# ---------------------------------------------------------------------------- parent


def _run_worker(tool: str, net_path: Path, repeat: int, budget: float,
                solve_phases: bool = True) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", tool, str(net_path),
           "--repeat", str(repeat), "--budget", str(budget)]
    if not solve_phases:
        cmd.append("--build-only")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{tool} failed on {net_path.name} (exit {proc.returncode}):\n"
                         f"{proc.stderr[-4000:]}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        raise SystemExit(f"{tool} printed no result:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    res = json.loads(lines[-1][len("RESULT "):])
    res["wall"] = time.perf_counter() - t0
    return res


def check_agreement(size: str, results: list[dict[str, Any]]) -> list[str]:
    """Problems if the tools disagree on counts or objective (empty list when they agree)."""
    problems = []
    ref = results[0]
    for r in results[1:]:
        for key in ("cols", "rows", "nnz"):
            if r[key] != ref[key]:
                problems.append(f"{size}: {r['tool']} has {r[key]:,} {key}, "
                                f"{ref['tool']} {ref[key]:,}")
        if not r["solve"]:  # --build-only: counts checked, no objective
            continue
        rel = abs(r["objective"] - ref["objective"]) / max(1.0, abs(ref["objective"]))
        if not rel <= RTOL:
            problems.append(f"{size}: {r['tool']} objective {r['objective']!r} differs from "
                            f"{ref['tool']} {ref['objective']!r} by {rel:.2e} relative")
    return problems


def _fmt_s(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    if x >= 0.01:
        return f"{x:.3f}"
    return f"{x:.4f}"


def _versions() -> str:
    import highspy
    import numpy
    import scipy

    parts = [f"Python {platform.python_version()}", f"numpy {numpy.__version__}",
             f"scipy {scipy.__version__}"]
    try:
        from importlib.metadata import version

        parts.append(f"highspy {version('highspy')}")
        for pkg in ("linopy", "xarray", "pyomo"):
            parts.append(f"{pkg} {version(pkg)}")
    except Exception:  # pragma: no cover - metadata missing
        parts.append(f"highspy {highspy.__name__}")
    return ", ".join(parts)


def _machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Linux {platform.release()}"


def render(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """The markdown section: method, results table, ratios against the targets."""
    med = median
    out = [SECTION, ""]
    out.append(
        f"Run on {meta['date']} with `{meta['command']}` ({meta['wall']:.0f} s wall). "
        f"Machine: {meta['machine']}. {meta['versions']}.")
    out.append("")
    out.append("### Method")
    out.append("")
    out.append(
        "* **Scenarios** from `benchmarks/generator.py` (seed 0): *regions*, each a plant with "
        "its port, NdPr-oxide and Dy-oxide suppliers with declared mined/separated countries "
        "(China, Myanmar and undeclared origins included), reagents, electrolysis -> DyFe -> "
        "strip casting (NdPr metal + DyFe + ferroboron + iron -> NdFeB alloy), lanes with lead "
        "times to customer hubs abroad, customers with `any`, `ex-china`, `dfars-2027` and "
        "`crma:0.65` policies, take-or-pay, minimum purchases, capacity phases with ramps, "
        "storage caps; monthly, 36 periods (4 for `1k`).")
    out.append(
        "* **Peers** (`benchmarks/peers.py`) are built from the compiled `Network`'s sets, not "
        "from our matrix: linopy 0.10 with labelled coordinates, `shift` for lead times, "
        "`groupby().sum()` for incidence, v1 semantics and its CSR build path "
        "(`Model(sparse=True)`, its fastest); Pyomo with indexed `Set`/`Var`/`Constraint` and "
        "`quicksum` rules, loaded through the persistent `appsi_highs` interface. Every row and "
        "column family of ours is mirrored, including inert ones (bounds fixed at 0, free "
        "storage rows), so HiGHS receives the same number of columns, rows and nonzeros; the "
        "run stops with an error unless all three agree on those counts and on the optimum to "
        "1e-6 relative. `pytest benchmarks/test_peers_agree.py` checks the same at small sizes "
        "in a few seconds.")
    out.append(
        "* **Phases**, each timed on its own, in one subprocess per tool and size: *build* "
        "(network -> the tool's model), *load* (until HiGHS holds the model: ours until "
        "`Highs.passModel` returns; linopy `solvers.Highs.from_model(io_api='direct')`, i.e. "
        "matrix export plus `addVars`/`addRows`; Pyomo `appsi_highs` `set_instance`), *solve* "
        "(`Highs.run` through each tool's call, single thread, cold each time), *read* "
        "(solution -> the tool's labelled form: ours per-family arrays, linopy "
        "`assign_result`, Pyomo `load_vars`). *passModel* is HiGHS's own `passModel` on our "
        "arrays already in HiGHS's dtypes: the floor for any load. Compiling the scenario "
        "(`compile_network`, shared by all tools) is shown separately and is in no tool's "
        "build.")
    out.append(
        f"* **Repeats**: medians of up to {meta['repeat']} repeats; a phase stops repeating once "
        f"its repeats have taken {meta['budget']:.0f} s (the *n* column gives build+load / "
        "solve+read repeats actually run). **Peak RSS** is the subprocess's `ru_maxrss` "
        "(includes Python, the imported libraries and the unpickled network, listed as "
        "*base*). *loadavg* is the machine's 1-minute load average when the subprocess started "
        "and ended: the machine (2 cores) is shared with other work, so a figure above ~1 means "
        "the timings of that row were taken under contention.")
    out.append("")
    out.append("### Results")
    out.append("")
    out.append("| size | columns | rows | nonzeros | compile s | tool | n | build s | load s | "
               "build+load s | solve s | read s | peak RSS MiB (base) | objective | loadavg |")
    out.append("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        for i, t in enumerate(r["tools"]):
            first = i == 0
            bl = med([b + lo for b, lo in zip(t["build"], t["load"], strict=True)])
            dims = (f"| {r['size']} | {t['cols']:,} | {t['rows']:,} | {t['nnz']:,} | "
                    f"{_fmt_s(r['compile'])} |" if first else "| | | | | |")
            out.append(
                f"{dims} {t['tool']} | "
                f"{len(t['build'])}/{len(t['solve'])} | {_fmt_s(med(t['build']))} | "
                f"{_fmt_s(med(t['load']))} | {_fmt_s(bl)} | {_fmt_s(med(t['solve']))} | "
                f"{_fmt_s(med(t['read']))} | {t['peak_rss_mib']:,.0f} ({t['base_rss_mib']:,.0f}) | "
                f"{t['objective']:.10g} | {' -> '.join(f'{x:.1f}' for x in t['load_avg'])} |")
            if t["tool"] == "oreline" and "passmodel" in t:
                out.append(f"| | | | | | HiGHS passModel (floor) | {len(t['passmodel'])} | | "
                           f"{_fmt_s(med(t['passmodel']))} | | | | | | |")
    out.append("")
    out.append("### Ratios (build + load)")
    out.append("")
    out.append("Targets at >= 300k columns (marked for the 300k and 1M sizes): linopy / ours "
               ">= 5, Pyomo / ours >= 100, ours / passModel <= 2.")
    out.append("")
    out.append("Medians, and in brackets the ratio of the fastest repeats (least disturbed by "
               "other work on the machine).")
    out.append("")
    out.append("| size | columns | linopy / ours | Pyomo / ours | ours / passModel | "
               "ours load / passModel |")
    out.append("|---|---:|---:|---:|---:|---:|")

    def mark(ok: bool, big: bool) -> str:
        return (" ✓" if ok else " ✗") if big else ""

    for r in rows:
        by = {t["tool"]: t for t in r["tools"]}
        ours = by.get("oreline")
        if ours is None:
            continue
        obl = [b + lo for b, lo in zip(ours["build"], ours["load"], strict=True)]
        ob = med(obl)
        big = ours["cols"] >= 290_000  # the 300k size has 299,196 columns
        cells = []
        for tool, target in (("linopy", 5.0), ("pyomo", 100.0)):
            if tool in by:
                t = by[tool]
                tbl = [b + lo for b, lo in zip(t["build"], t["load"], strict=True)]
                x = med(tbl) / ob
                xb = min(tbl) / min(obl)
                cells.append(f"{x:,.1f}{mark(x >= target, big)} ({xb:,.1f})")
            else:
                cells.append("not run")
        floor = med(ours["passmodel"])
        x = ob / floor
        cells.append(f"{x:.1f}{mark(x <= 2.0, big)} ({min(obl) / min(ours['passmodel']):.1f})")
        cells.append(f"{med(ours['load']) / floor:.2f} "
                     f"({min(ours['load']) / min(ours['passmodel']):.2f})")
        out.append(f"| {r['size']} | {ours['cols']:,} | " + " | ".join(cells) + " |")
    out.append("")
    return "\n".join(out) + render_notes(meta.get("notes", []))


def render_notes(notes: list[str]) -> str:
    """The notes subsection (empty string without notes)."""
    if not notes:
        return ""
    return "\n".join(["### Notes", "", *(f"* {n}" for n in notes), ""])


def render_build_only(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """Subsection for a ``--build-only`` run: medians and bests, ratios to ours."""
    out = ["### Build + load only (separate run)", ""]
    out.append(
        f"`{meta['command']}` on {meta['date']} ({meta['wall']:.0f} s wall): build and load "
        f"only, up to {meta['repeat']} repeats each, no solve (counts checked, objective "
        "checked in the full run above). *best* is the fastest repeat, the figure least "
        "disturbed by other work on the shared machine.")
    out.append("")
    out.append("| size | columns | tool | n | build s | load s | build+load s (median) | "
               "build+load s (best) | tool / ours (median) | tool / ours (best) | loadavg |")
    out.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        by = {t["tool"]: t for t in r["tools"]}
        ours = by.get("oreline")

        def bl(t: dict[str, Any]) -> list[float]:
            return [b + lo for b, lo in zip(t["build"], t["load"], strict=True)]

        for i, t in enumerate(r["tools"]):
            ratio_m = ratio_b = ""
            if ours is not None and t is not ours:
                ratio_m = f"{median(bl(t)) / median(bl(ours)):.1f}"
                ratio_b = f"{min(bl(t)) / min(bl(ours)):.1f}"
            lead = f"| {r['size']} | {t['cols']:,} |" if i == 0 else "| | |"
            out.append(
                f"{lead} "
                f"{t['tool']} | {len(t['build'])} | {_fmt_s(median(t['build']))} | "
                f"{_fmt_s(median(t['load']))} | {_fmt_s(median(bl(t)))} | {_fmt_s(min(bl(t)))} | "
                f"{ratio_m} | {ratio_b} | "
                f"{' -> '.join(f'{x:.1f}' for x in t['load_avg'])} |")
            if t is ours and "passmodel" in t:
                pm = t["passmodel"]
                out.append(f"| | | HiGHS passModel (floor) | {len(pm)} | | {_fmt_s(median(pm))} "
                           f"| | {_fmt_s(min(pm))} | ours / floor: "
                           f"{median(bl(t)) / median(pm):.1f} | ours / floor: "
                           f"{min(bl(t)) / min(pm):.1f} | |")
    out.append("")
    return "\n".join(out)


def write_section(path: Path, section: str) -> None:
    """Replace our section of ``path`` (or append it), keeping every other section."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip("\n") + "\n\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (parent) or one measurement (``--worker``)."""
    ap = argparse.ArgumentParser(description="Planner LP build benchmark (issue 2)")
    ap.add_argument("--sizes", nargs="+", default=DEFAULT_SIZES, choices=list(SIZES))
    ap.add_argument("--tools", nargs="+", default=DEFAULT_TOOLS)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--budget", type=float, default=60.0,
                    help="seconds after which a phase stops repeating (default 60)")
    ap.add_argument("--out", type=Path, default=None,
                    help="markdown file to write the section into (e.g. docs/benchmarks.md)")
    ap.add_argument("--json", type=Path, default=None, help="also dump raw measurements here")
    ap.add_argument("--from-json", type=Path, default=None,
                    help="re-render the section from a --json dump instead of measuring")
    ap.add_argument("--note", action="append", default=[], help="a note for the report")
    ap.add_argument("--build-only", action="store_true",
                    help="time build and load only (counts still checked; no solve, so no "
                         "objective check); written as a separate subsection")
    ap.add_argument("--with-build-only", type=Path, default=None,
                    help="with --from-json: add the build-only subsection from this --json dump")
    ap.add_argument("--worker", nargs=2, metavar=("TOOL", "NETWORK_PICKLE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        res = worker(args.worker[0], args.worker[1], args.repeat, args.budget,
                     solve_phases=not args.build_only)
        print("RESULT " + json.dumps(res), flush=True)
        return 0

    if args.from_json:
        dump = json.loads(args.from_json.read_text())
        dump["meta"]["notes"] = args.note or dump["meta"].get("notes", [])
        if dump["meta"].get("build_only"):
            section = render_build_only(dump["rows"], dump["meta"])
        else:
            section = render(dump["rows"], dump["meta"])
            if args.with_build_only:
                extra = json.loads(args.with_build_only.read_text())
                section += "\n" + render_build_only(extra["rows"], extra["meta"])
                notes = render_notes(dump["meta"]["notes"])
                section = section.replace(notes, "") + ("\n" + notes if notes else "")
        print(section)
        if args.out:
            write_section(args.out, section)
            print(f"wrote {args.out}")
        return 0

    from oreline.network import compile_network

    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="oreline-bench-") as tmp:
        for size in args.sizes:
            t0 = time.perf_counter()
            sc = scenario_for_size(size)
            t1 = time.perf_counter()
            net = compile_network(sc)
            t2 = time.perf_counter()
            path = Path(tmp) / f"net-{size}.pickle"
            with path.open("wb") as fh:
                pickle.dump(net, fh, protocol=pickle.HIGHEST_PROTOCOL)
            del net, sc
            print(f"[{size}] generated in {t1 - t0:.2f} s, compiled in {t2 - t1:.2f} s",
                  flush=True)
            results = []
            for tool in args.tools:
                res = _run_worker(tool, path, args.repeat, args.budget,
                                  solve_phases=not args.build_only)
                bl = median([b + lo for b, lo in zip(res["build"], res["load"], strict=True)])
                print(f"[{size}] {tool:8s} cols={res['cols']:,} rows={res['rows']:,} "
                      f"nnz={res['nnz']:,} build={median(res['build']):.4f} "
                      f"load={median(res['load']):.4f} build+load={bl:.4f} "
                      f"solve={median(res['solve'] or [0]):.2f} "
                      f"read={median(res['read'] or [0]):.4f} "
                      f"n={len(res['build'])}/{len(res['solve'])} "
                      f"rss={res['peak_rss_mib']:.0f}MiB obj={res['objective']:.10g} "
                      f"({res['wall']:.0f} s)", flush=True)
                if "passmodel" in res:
                    print(f"[{size}] passModel floor {median(res['passmodel']):.4f} s",
                          flush=True)
                results.append(res)
            problems = check_agreement(size, results)
            if problems:
                print("\n".join(["PEERS DISAGREE:", *problems]), file=sys.stderr)
                return 1
            rows.append({"size": size, "compile": t2 - t1, "tools": results})
    wall = time.perf_counter() - started
    cmd = "python benchmarks/run.py " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]) if not a.startswith("--note"))
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "command": cmd.strip(),
        "wall": wall, "machine": _machine(), "versions": _versions(), "repeat": args.repeat,
        "budget": args.budget, "notes": args.note, "build_only": args.build_only,
    }
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    section = render_build_only(rows, meta) if args.build_only else render(rows, meta)
    print(section)
    if args.out:
        write_section(args.out, section)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
