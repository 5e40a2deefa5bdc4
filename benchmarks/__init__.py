"""The side-by-side benchmark suite (issue 5): tui-es, eventsourcing and raw sqlite3.

One command runs every workload for the three of them in the same run, on
SQLite files in a scratch folder, all with WAL and synchronous=FULL::

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python -m benchmarks.run                 # full sizes, 3 repeats -> benchmarks/results.json
    .venv/bin/python -m benchmarks.run --quick         # small sizes, about a minute
    .venv/bin/python -m benchmarks.run --only 1,3 --repeats 5 --json /tmp/r.json
    .venv/bin/python -m benchmarks.run --profile 5     # -> benchmarks/profiles/w5.txt

Workloads, one module each: 1 command pipeline (``w1_commands``), 2 bulk
import (``w2_import``), 3 load an aggregate (``w3_load``), 4 state at a random
version (``w4_state``), 5 read the whole log decoded (``w5_log``), 6 rebuild
account_query (``w6_rebuild``), 7 the dashboard (``w7_dashboard``, driven
headless in child processes), 8 PostgreSQL (``w8_postgres``). Each has ``run(ctx, sizes)`` with
``FULL`` and ``QUICK`` sizes; ``tests/benchmarks/test_smoke.py`` runs them with
tiny ones.
"""
