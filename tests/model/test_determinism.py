"""The compiled LP is the same whatever the process's hash seed.

Set iteration order changes with PYTHONHASHSEED; an ordering that leaks into the
column layout makes alternate optima differ between worker processes.
"""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import hashlib
from oreline.model import build_model
from oreline.network import compile_network
from oreline.scenario import load_scenario
lp = build_model(compile_network(load_scenario("kmp")))
h = hashlib.sha256()
for a in (lp.cost, lp.col_upper, lp.row_upper, lp.matrix.indptr, lp.matrix.indices, lp.matrix.data):
    h.update(a.tobytes())
print(h.hexdigest())
"""


def test_lp_layout_does_not_depend_on_hash_seed():
    digests = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                             env=env, timeout=120, check=True)
        digests.add(out.stdout.strip())
    assert len(digests) == 1
