"""Run the benchmark suite: every workload for tui-es, eventsourcing and raw sqlite3, in one run.

    .venv/bin/python -m benchmarks.run [--quick] [--only 1,3] [--repeats N] [--json PATH]
    .venv/bin/python -m benchmarks.run --profile N      # pyinstrument -> benchmarks/profiles/wN.txt

Prints each workload's medians, the ratios, each target with PASS/FAIL, and a
summary table; writes everything (and the machine) as JSON: to
benchmarks/results.json for a complete full run, benchmarks/results-partial.json
for a quick or partial one, or where --json says.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks import (
    peer,
    raw,
    w1_commands,
    w2_import,
    w3_load,
    w4_state,
    w5_log,
    w6_rebuild,
    w7_dashboard,
    w8_postgres,
)
from benchmarks.core import DEFAULT_POSTGRES, PROFILING, TUI, Context, SummaryRow, WorkloadResult
from benchmarks.data import open_store, store_pragmas

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKLOADS: dict[int, ModuleType] = {
    1: w1_commands,
    2: w2_import,
    3: w3_load,
    4: w4_state,
    5: w5_log,
    6: w6_rebuild,
    7: w7_dashboard,
    8: w8_postgres,
}
PACKAGES = (
    "tui-es",
    "eventsourcing",
    "sqlalchemy",
    "sqlmodel",
    "pydantic",
    "pydantic-core",
    "psycopg",
    "psycopg-binary",
    "textual",
    "pyinstrument",
)


# -- the machine --------------------------------------------------------------------------------
def _first_line(path: str, key: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def _filesystem(path: Path) -> str | None:
    best: tuple[int, str] | None = None
    try:
        with open("/proc/mounts", encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                mount, fstype, device = parts[1], parts[2], parts[0]
                if str(path).startswith(mount) and (best is None or len(mount) > best[0]):
                    best = (len(mount), f"{device} on {mount} ({fstype})")
    except OSError:
        return None
    return best[1] if best else None


def machine_info(tmp: Path) -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    # the harness moves the figures as much as the product does; its own output does not count
    status = _git(
        "status", "--porcelain", "--", "tui_es", "benchmarks", ":(exclude)benchmarks/results.json"
    )
    return {
        "cpu_model": _first_line("/proc/cpuinfo", "model name") or platform.processor(),
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_total": _first_line("/proc/meminfo", "MemTotal"),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "sqlite_version": sqlite3.sqlite_version,
        "packages": versions,
        "tui_es_git_commit": _git("rev-parse", "HEAD"),
        "tui_es_uncommitted_changes": None if status is None else bool(status),
        "load_average_at_start": list(os.getloadavg()),
        "scratch_dir": str(tmp),
        "scratch_filesystem": _filesystem(tmp),
    }


def durability(ctx: Context) -> dict[str, Any]:
    """The journal mode, synchronous level and page size each subject's files really use."""
    store = open_store(ctx.db_path("durability-tui"))
    papp = peer.peer_app(ctx.db_path("durability-peer"))
    conn = raw.connect(ctx.db_path("durability-raw"))
    found = {
        "tui-es": store_pragmas(store),
        "eventsourcing": peer.pragmas(papp),
        "sqlite3": raw.pragmas(conn),
    }
    store.close()
    papp.close()
    conn.close()
    same = all(
        str(v["journal_mode"]).lower() == "wal" and int(v["synchronous"]) == 2
        for v in found.values()
    )
    # a WAL frame is a whole page, so the page size sets what a commit writes
    pages = {int(v["page_size"]) for v in found.values()}
    return {
        "subjects": found,
        "all_wal_synchronous_full": same,
        "synchronous_2_means": "FULL",
        "same_page_size": len(pages) == 1,
    }


# -- printing -----------------------------------------------------------------------------------
def print_workload(result: WorkloadResult) -> None:
    print(f"\n=== {result.number}. {result.title} ===  {result.status}")
    print(f"    params: {json.dumps(result.params, default=str)[:300]}")
    for m in result.measurements.values():
        if not m.runs_s:
            continue
        rate = f"{m.rate:>12,.0f} ev/s" if m.events else " " * 17
        ref = "  (reference)" if m.reference else ""
        median = f"{m.median_s:>11,.1f} MB" if m.unit == "MB" else f"{m.median_ms:>11,.2f} ms"
        print(
            f"    {m.subject:<14} {m.label[:58]:<58} median {median} {rate}  n={len(m.runs_s)}{ref}"
        )
        cpu = m.cpu_us_per_event()
        if cpu is not None:
            wait = m.median_s / m.events * 1e6 - cpu[0] - cpu[1]
            print(
                f"    {'':<14} {'per event: CPU user / system, and the rest (waiting)':<58}"
                f" {cpu[0]:>6.1f} / {cpu[1]:.1f} / {wait:.1f} µs"
            )
    for t in result.targets:
        print(f"    target: {t.text:<52} -> {t.value_text():>14}  {t.verdict}")
    for note in result.notes:
        print(f"    note: {note}")


def print_summary(rows: list[SummaryRow]) -> None:
    headers = ("workload", "tui-es", "eventsourcing", "sqlite3", "ratio", "target", "result")
    table = [headers] + [
        (r.workload, r.tui, r.peer, r.raw, r.ratio, r.target, r.result) for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(headers))]
    print("\n=== summary ===")
    for k, row in enumerate(table):
        print("  " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
        if k == 0:
            print("  " + "-+-".join("-" * w for w in widths))


# -- running --------------------------------------------------------------------------------------
def run_workload(ctx: Context, number: int, quick: bool) -> WorkloadResult:
    module = WORKLOADS[number]
    sizes = module.QUICK if quick else module.FULL
    started = time.perf_counter()
    ctx.log(f"workload {number}: {sizes}")
    try:
        result: WorkloadResult = module.run(ctx, sizes)
    except Exception as e:
        result = WorkloadResult(number, module.__doc__.splitlines()[0] if module.__doc__ else "")
        result.status = f"error: {type(e).__name__}: {e}"
        result.notes.append(traceback.format_exc())
    result.params["wall_seconds"] = round(time.perf_counter() - started, 1)
    ctx.cache.setdefault("results", {})[number] = result
    return result


def parse_only(text: str | None) -> list[int]:
    if not text:
        return sorted(WORKLOADS)
    numbers = sorted({int(part) for part in text.split(",") if part.strip()})
    unknown = [n for n in numbers if n not in WORKLOADS]
    if unknown:
        raise SystemExit(f"unknown workload(s): {unknown}; there are {sorted(WORKLOADS)}")
    return numbers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="tui-es vs eventsourcing vs raw sqlite3, side by side (issue 5).",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a minute's check")
    parser.add_argument("--only", help="comma-separated workload numbers, e.g. 1,3 (default: all)")
    parser.add_argument("--repeats", type=int, help="timed repeats per workload (default 3)")
    parser.add_argument("--json", type=Path, help="where to write the results")
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        help="run workload N once under pyinstrument (tui-es's timed sections only) "
        "and write benchmarks/profiles/wN.txt",
    )
    parser.add_argument("--tmp", type=Path, help="folder for the scratch databases (default: /tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin URL of the server")
    args = parser.parse_args(argv)

    if args.profile is not None:
        if args.profile not in WORKLOADS:
            parser.error(f"--profile: unknown workload {args.profile}")
        numbers = [args.profile]
    else:
        numbers = parse_only(args.only)
    repeats = args.repeats or (1 if args.profile is not None else 3)
    if repeats < 1:
        parser.error("--repeats must be at least 1")

    base = args.tmp or Path(tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="tui-es-bench-", dir=base))
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:8.1f}s] {message}", file=sys.stderr, flush=True)

    ctx = Context(tmp=tmp, repeats=repeats, postgres_url=args.postgres, log=log)
    out: dict[str, Any] = {
        "command": " ".join(["python -m benchmarks.run", *(argv or sys.argv[1:])]),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {
            "quick": args.quick,
            "repeats": repeats,
            "workloads": numbers,
            "profile": args.profile,
            "sizes": {
                n: asdict(WORKLOADS[n].QUICK if args.quick else WORKLOADS[n].FULL) for n in numbers
            },
            "timing": "time.perf_counter around each timed call, gc.collect() before it; "
            "medians over all timed runs; fresh database per repeat for write workloads",
        },
    }
    try:
        out["machine"] = machine_info(tmp)
        out["durability"] = durability(ctx)
        print(json.dumps({"machine": out["machine"], "durability": out["durability"]}, indent=2))
        if not out["durability"]["all_wal_synchronous_full"]:
            print("WARNING: the subjects do not all run WAL + synchronous=FULL", file=sys.stderr)
        if not out["durability"]["same_page_size"]:
            print(
                "WARNING: the subjects' files do not all have the same page size", file=sys.stderr
            )
        if args.profile is not None:
            PROFILING.enable(TUI)
        results = [run_workload(ctx, n, args.quick) for n in numbers]
        for result in results:
            print_workload(result)
        rows = [row for result in results for row in result.summary]
        print_summary(rows)
        out["workloads"] = {str(r.number): r.to_json() for r in results}
        out["summary"] = [r.to_json() for r in rows]
        verdicts = [t.verdict for r in results for t in r.targets]
        out["targets"] = {v: verdicts.count(v) for v in ("PASS", "FAIL", "n/a")}
        out["wall_seconds"] = round(time.perf_counter() - started, 1)
        out["machine"]["load_average_at_end"] = list(os.getloadavg())
        print(
            f"\ntargets: {out['targets']['PASS']} PASS, {out['targets']['FAIL']} FAIL, "
            f"{out['targets']['n/a']} n/a; {out['wall_seconds']} s"
        )
        if args.profile is not None:
            PROFILING.disable()
            write_profile(args.profile, args.quick, repeats, PROFILING.render_text())
        path = json_path(args, numbers)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(out, indent=2, default=str) + "\n", encoding="utf-8")
            print(f"wrote {path}")
    finally:
        if args.keep:
            print(f"scratch databases kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def json_path(args: argparse.Namespace, numbers: list[int]) -> Path | None:
    if args.json is not None:
        path: Path = args.json
        return path
    if args.profile is not None:
        return None  # profiled timings are not results
    if not args.quick and numbers == sorted(WORKLOADS):
        return HERE / "results.json"
    return HERE / "results-partial.json"


def write_profile(number: int, quick: bool, repeats: int, text: str) -> Path:
    path = HERE / "profiles" / f"w{number}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = WORKLOADS[number].__doc__ or ""
    header = (
        f"# {doc.splitlines()[0] if doc else f'workload {number}'}\n"
        f"# pyinstrument, tui-es's timed sections only; sizes: {'quick' if quick else 'full'}; "
        f"repeats: {repeats}; {datetime.now(UTC).isoformat(timespec='seconds')}\n"
        f"# python -m benchmarks.run --profile {number}{' --quick' if quick else ''}\n\n"
    )
    path.write_text(header + text, encoding="utf-8")
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    sys.exit(main())
