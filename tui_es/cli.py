"""The command line: everything the dashboard does, for scripts and CI.

Exit codes: 0 success; 1 the domain rejected the command (stderr is exactly
its message) or the row asked for does not exist; 2 bad input; 3 a
concurrency conflict or a storage failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import IO, Any, NoReturn

from tui_es.es.application import Application
from tui_es.es.envelope import SerializedEvent
from tui_es.es.errors import (
    AggregateConflict,
    AggregateError,
    DatabaseConnectionError,
    DeserializationError,
    UnexpectedError,
    UserError,
)
from tui_es.es.framework import parse_time
from tui_es.es.importing import InvalidImport, key_problem
from tui_es.es.messages import InvalidMessage
from tui_es.es.store import EventFilter

EXIT_OK, EXIT_REJECTED, EXIT_BAD_INPUT, EXIT_STORAGE = 0, 1, 2, 3


class CliError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _bad_input(message: str) -> CliError:
    return CliError(message, EXIT_BAD_INPUT)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _global_options(parser: argparse.ArgumentParser, *, suppress_defaults: bool) -> None:
    # The same options on the main parser and on every subcommand, so they may
    # stand before or after it; on subcommands an absent option must not
    # overwrite one given before.
    default: Any = argparse.SUPPRESS if suppress_defaults else None
    parser.add_argument(
        "--db",
        default=default,
        metavar="URL",
        help="SQLAlchemy URL or SQLite file path (default: $TUI_ES_DB, else the demo store)",
    )
    parser.add_argument(
        "--domain", default=default, metavar="NAME", help="domain to run (default: bank)"
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS if suppress_defaults else False,
        help="open the store without ever writing to it",
    )


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    if value >= 2**63:  # no database column holds more
        raise argparse.ArgumentTypeError(f"{text} is too large")
    return value


def _positive(text: str) -> int:
    value = _non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tui-es", description="Explore CQRS and event sourcing: the dashboard and its CLI."
    )
    _global_options(parser, suppress_defaults=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        _global_options(p, suppress_defaults=True)
        return p

    command("ui", "open the dashboard (the default)")

    p = command("exec", "execute a command and print the events it committed")
    p.add_argument("aggregate_id", metavar="AGGREGATE_ID")
    p.add_argument(
        "command_json", metavar="COMMAND_JSON", help='e.g. \'{"DepositMoney": {"amount": 1000.0}}\''
    )
    p.add_argument(
        "--meta",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="metadata entry (repeatable)",
    )

    p = command("trace", "execute a command and print what each step did, as JSON")
    p.add_argument("aggregate_id", metavar="AGGREGATE_ID")
    p.add_argument("command_json", metavar="COMMAND_JSON")
    p.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE")

    p = command("diff", "print the fields that differ between two versions of an aggregate")
    p.add_argument("aggregate_id", metavar="AGGREGATE_ID")
    p.add_argument("v1", type=_non_negative, metavar="V1")
    p.add_argument("v2", type=_non_negative, metavar="V2")

    p = command("events", "print the global event log as JSON Lines")
    p.add_argument("--aggregate", metavar="ID", help="only this aggregate id")
    p.add_argument("--type", dest="event_type", metavar="EVENT_TYPE", help="only this event type")
    p.add_argument(
        "--after",
        type=_non_negative,
        default=0,
        metavar="POSITION",
        help="only after this position",
    )
    p.add_argument("--limit", type=_positive, metavar="N", help="at most N events")
    p.add_argument(
        "--follow", action="store_true", help="keep printing new events as they are committed"
    )

    p = command("state", "print an aggregate's state, now or at a version or time")
    p.add_argument("aggregate_id", metavar="AGGREGATE_ID")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--version", type=_non_negative, metavar="N")
    when.add_argument("--at", metavar="ISO_TIME", help="RFC 3339 time, e.g. 2026-11-03T12:00:00Z")

    p = command("view", "print a view's row, or all its rows as JSON Lines")
    p.add_argument("view_name", metavar="VIEW_NAME")
    p.add_argument("view_id", nargs="?", metavar="VIEW_ID")

    p = command("rebuild", "empty views and fold the whole log into them again")
    p.add_argument("view_name", nargs="?", metavar="VIEW_NAME")
    p.add_argument(
        "--from", dest="from_position", type=_non_negative, default=0, metavar="POSITION"
    )

    p = command("import", "append events from JSON Lines (all or nothing)")
    p.add_argument("file", metavar="FILE|-")

    p = command("export", "write every event as JSON Lines")
    p.add_argument("file", nargs="?", default="-", metavar="FILE|-")

    command("check", "verify the store: order, sequences, payloads, snapshots, views")

    command(
        "upgrade-store",
        "let tui-es write to a cqrs-es database too (adds position and recorded_at)",
    )

    p = command("demo", "load the shipped demo history, or generate a synthetic one")
    p.add_argument("--accounts", type=_positive, metavar="N", help="generate N aggregates")
    p.add_argument(
        "--events-per-account", type=_positive, metavar="M", help="with M events each (default 20)"
    )
    p.add_argument(
        "--seed", type=_non_negative, default=7, help="random seed of the generated history"
    )
    return parser


# -- output ----------------------------------------------------------------------------------
def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _print_events(events: Iterable[SerializedEvent], out: IO[str]) -> int:
    count = 0
    for event in events:
        out.write(_dumps(event.to_json_dict()) + "\n")
        count += 1
    out.flush()
    return count


# -- opening the store --------------------------------------------------------------------------
def _open(args: argparse.Namespace, *, catch_up: bool = True) -> Application:
    from tui_es.domains import load_domain
    from tui_es.paths import default_store_path
    from tui_es.store import InvalidStoreUrl, SqlEventStore, StoreNeedsUpgrade

    try:
        domain = load_domain(args.domain or "bank")
    except KeyError as e:
        raise _bad_input(str(e.args[0])) from None
    location = args.db or os.environ.get("TUI_ES_DB")
    first_use = False
    if not location:
        path = default_store_path()
        first_use = not path.exists()
        location = str(path)
    try:
        store = SqlEventStore(location, read_only=args.read_only)
    except (InvalidStoreUrl, StoreNeedsUpgrade) as e:
        raise _bad_input(str(e)) from None
    app = Application(domain, store, catch_up=catch_up)
    if app.catch_up_problem is not None:
        print(f"tui-es: warning: the views are behind: {app.catch_up_problem}", file=sys.stderr)
    if first_use and not args.read_only:
        _load_demo_history(app)
    return app


def _load_demo_history(app: Application) -> int:
    path = app.domain.demo_history
    if path is None or not path.exists():
        raise CliError(f"domain {app.domain.name!r} ships no demo history", EXIT_BAD_INPUT)
    with path.open(encoding="utf-8") as lines:
        return len(app.import_lines(lines))


def _meta(entries: Sequence[str]) -> dict[str, str]:
    meta = {}
    for entry in entries:
        key, sep, value = entry.partition("=")
        if not sep or not key:
            raise _bad_input(f"--meta {entry!r}: expected KEY=VALUE")
        meta[key] = value
    return meta


def _aggregate_id(text: str) -> str:
    problem = "is empty" if not text else key_problem(text)
    if problem is not None:
        raise _bad_input(f"AGGREGATE_ID {problem}")
    return text


# -- subcommands ----------------------------------------------------------------------------------
def cmd_exec(args: argparse.Namespace) -> int:
    _aggregate_id(args.aggregate_id)
    meta = _meta(args.meta)
    app = _open(args)
    envelopes = app.execute(args.aggregate_id, args.command_json, meta)
    stored = (
        app.store.read_events(after_position=(envelopes[0].position or 1) - 1, limit=len(envelopes))
        if envelopes
        else []
    )
    _print_events(stored, sys.stdout)
    return EXIT_OK


def cmd_trace(args: argparse.Namespace) -> int:
    _aggregate_id(args.aggregate_id)
    meta = _meta(args.meta)
    app = _open(args)
    aggregate_type, command = app.parse_command(args.command_json)
    trace, _, error = app.trace(args.aggregate_id, command, meta, aggregate_type)
    print(json.dumps(trace.to_json(), indent=2, ensure_ascii=False))
    if error is not None:
        raise error  # the usual message and exit code, after the trace
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from tui_es.es.diff import VersionOutOfRange, diff_versions

    app = _open(args)
    try:
        print(_dumps(diff_versions(app, args.aggregate_id, args.v1, args.v2)))
    except VersionOutOfRange as e:
        raise CliError(str(e), EXIT_REJECTED) from None
    return EXIT_OK


def cmd_events(args: argparse.Namespace) -> int:
    from tui_es.store.watch import HeadWatcher

    app = _open(args)
    f = EventFilter(aggregate_id=args.aggregate, event_type=args.event_type)
    after = args.after
    remaining = args.limit
    watcher: HeadWatcher | None = None
    try:
        while True:
            page = 1000 if remaining is None else min(1000, remaining)
            rows = app.store.read_events(after_position=after, limit=page, filter=f)
            _print_events(rows, sys.stdout)
            if rows:
                after = rows[-1].position or after
                if remaining is not None:
                    remaining -= len(rows)
            if remaining == 0:
                return EXIT_OK
            if len(rows) < page:
                if not args.follow:
                    return EXIT_OK
                watcher = watcher or HeadWatcher(app.store)  # type: ignore[arg-type]
                watcher.wait(app.store.head_position(), 1.0)
    finally:
        if watcher is not None:
            watcher.close()


def cmd_state(args: argparse.Namespace) -> int:
    app = _open(args)
    at = None
    if args.at is not None:
        try:
            at = parse_time(args.at)
        except ValueError as e:
            raise _bad_input(f"--at: {e}") from None
    aggregate = app.domain.aggregate()
    state, version = app.state(args.aggregate_id, version=args.version, at=at)
    if args.version is not None and version < args.version:
        raise CliError(
            f"{aggregate.aggregate_type} {args.aggregate_id!r} has {version} events, not {args.version}",
            EXIT_REJECTED,
        )
    out = {
        "aggregate_type": aggregate.aggregate_type,
        "aggregate_id": args.aggregate_id,
        "version": version,
        "state": state.state_json(),
    }
    print(_dumps(out))
    return EXIT_OK


def _view_name(app: Application, name: str) -> str:
    try:
        return app.dispatcher.view(name).name
    except KeyError as e:
        raise _bad_input(str(e.args[0])) from None


def cmd_view(args: argparse.Namespace) -> int:
    app = _open(args)
    name = _view_name(app, args.view_name)
    if args.view_id is not None:
        row = app.store.load_view(name, args.view_id)
        if row is None:
            raise CliError(f"{name} has no row {args.view_id!r}", EXIT_REJECTED)
        print(_dumps(row.payload))
        return EXIT_OK
    offset = 0
    while True:
        rows = app.store.view_rows(name, offset=offset, limit=1000)
        for row in rows:
            sys.stdout.write(
                _dumps({"view_id": row.view_id, "version": row.version, "payload": row.payload})
                + "\n"
            )
        if len(rows) < 1000:
            return EXIT_OK
        offset += len(rows)


def cmd_rebuild(args: argparse.Namespace) -> int:
    app = _open(args, catch_up=False)
    names = (
        [_view_name(app, args.view_name)]
        if args.view_name is not None
        else [v.name for v in app.domain.views]
    )
    for name in names:
        with _progress(f"rebuilding {name}") as progress:
            folded = app.rebuild(name, args.from_position, progress)[name]
        print(
            f"{name}: {folded} positions folded, checkpoint {app.store.checkpoints().get(name, 0)}"
        )
    return EXIT_OK


class _progress:
    """A rich progress bar on a terminal; silence when piped."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Callable[[int, int], None] | None:
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
        )
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=None)

        def update(reached: int, head: int) -> None:
            self._bar.update(self._task, completed=reached, total=head)

        return update

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def cmd_import(args: argparse.Namespace) -> int:
    app = _open(args)
    try:
        if args.file == "-":
            committed = app.import_lines(sys.stdin)
        else:
            with Path(args.file).open(encoding="utf-8") as lines:
                committed = app.import_lines(lines)
    except FileNotFoundError:
        raise _bad_input(f"no such file: {args.file}") from None
    except UnicodeDecodeError as e:
        raise _bad_input(f"{args.file} is not UTF-8 text (byte {e.start})") from None
    except OSError as e:  # a folder, no permission...
        raise _bad_input(f"cannot read {args.file}: {e.strerror}") from None
    print(f"imported {len(committed)} events", file=sys.stderr)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from tui_es.es.replay import iter_log

    app = _open(args)
    if args.file == "-":
        count = _print_events(iter_log(app.store), sys.stdout)
    else:
        try:
            out = Path(args.file).open("w", encoding="utf-8")  # noqa: SIM115
        except OSError as e:
            raise _bad_input(f"cannot write {args.file}: {e.strerror}") from None
        with out:
            count = _print_events(iter_log(app.store), out)
        print(f"exported {count} events to {args.file}", file=sys.stderr)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from tui_es.demo import synthesize

    app = _open(args)
    if args.accounts is None and args.events_per_account is None:
        try:
            count = _load_demo_history(app)
        except InvalidImport as e:
            if "already exists" not in str(e):
                raise
            print("the demo history is already in this store", file=sys.stderr)
            return EXIT_OK
        print(f"loaded the demo history: {count} events", file=sys.stderr)
        return EXIT_OK
    events = synthesize(app.domain, args.accounts or 5, args.events_per_account or 20, args.seed)
    committed = app.import_lines(_dumps(e.to_json_dict()) for e in events)
    print(f"generated {len(committed)} events", file=sys.stderr)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from tui_es.es.check import check_store

    app = _open(args, catch_up=False)
    with _progress("checking") as progress:
        report = check_store(app.store, app.codec, list(app.domain.views), progress=progress)
    for problem in report.problems:
        print(problem)
    views = ", ".join(f"{name} ({rows} rows)" for name, rows in report.views.items())
    summary = (
        f"{report.events} events in {report.aggregates} aggregates, {report.snapshots} snapshots, "
        f"views: {views or 'none'}"
    )
    if report.ok:
        print(f"ok: {summary}")
        return EXIT_OK
    print(f"{len(report.problems)} problems in {summary}", file=sys.stderr)
    return EXIT_REJECTED


def cmd_upgrade_store(args: argparse.Namespace) -> int:
    from tui_es.domains import load_domain
    from tui_es.store.upgrade import upgrade

    if args.read_only:
        raise _bad_input("upgrade-store writes to the database: drop --read-only")
    location = args.db or os.environ.get("TUI_ES_DB")
    if not location:
        raise _bad_input("upgrade-store needs --db URL (or TUI_ES_DB): it never guesses")
    try:
        domain = load_domain(args.domain or "bank")
    except KeyError as e:
        raise _bad_input(str(e.args[0])) from None
    report = upgrade(location, [v.name for v in domain.views])
    if report.already_upgraded:
        print("already upgraded: nothing to do", file=sys.stderr)
    else:
        print(f"numbered {report.events_numbered} events", file=sys.stderr)
    for name in report.views_marked:
        print(f"view {name}: kept as it is, tui-es continues it from here", file=sys.stderr)
    return EXIT_OK


def cmd_ui(args: argparse.Namespace) -> int:
    from tui_es.tui.app import run_dashboard

    app = _open(args)
    run_dashboard(app)
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "ui": cmd_ui,
    "exec": cmd_exec,
    "trace": cmd_trace,
    "diff": cmd_diff,
    "events": cmd_events,
    "state": cmd_state,
    "view": cmd_view,
    "rebuild": cmd_rebuild,
    "import": cmd_import,
    "export": cmd_export,
    "demo": cmd_demo,
    "upgrade-store": cmd_upgrade_store,
    "check": cmd_check,
}


def run(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    for number, arg in enumerate(argv, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:  # bytes the locale could not decode
            print(f"tui-es: argument {number} ({arg!r}) is not valid UTF-8 text", file=sys.stderr)
            return EXIT_BAD_INPUT
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help, or a usage error argparse already printed
        return e.code if isinstance(e.code, int) else EXIT_BAD_INPUT
    handler = COMMANDS[args.command or "ui"]
    try:
        return handler(args)
    except CliError as e:
        print(f"tui-es: {e}", file=sys.stderr)
        return e.code
    except UserError as e:
        # Exactly the domain's message, so scripts can match on it.
        print(str(e), file=sys.stderr)
        return EXIT_REJECTED
    except (InvalidMessage, InvalidImport) as e:
        print(f"tui-es: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (AggregateConflict, DatabaseConnectionError, DeserializationError, UnexpectedError) as e:
        print(f"tui-es: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_STORAGE
    except AggregateError as e:
        print(f"tui-es: {e}", file=sys.stderr)
        return EXIT_STORAGE
    except BrokenPipeError:
        with suppress(Exception):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # the last line of defence: a message, never a traceback
        print(f"tui-es: unexpected error: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_STORAGE


def main() -> None:
    sys.exit(run())
