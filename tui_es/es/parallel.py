"""A view's backlog folded by several processes at once, one partition of the aggregates each.

Only for views whose rows follow one aggregate each (``per_aggregate``): the
partitions then touch disjoint rows, and each process folds its aggregates'
events in log order, as a single fold would. The dispatcher keeps the
transaction: it folds partition 0 itself, writes the rows the other processes
send back (JSON text, encoded there) with the usual compare-and-set on their
versions, and moves the checkpoint, all in the one transaction of each stretch
of the log. The other processes only read what is committed, through their
own connections; they keep their rows between stretches, as the dispatcher
keeps its own, and drop them when a stretch rolls back.

The processes are new interpreters, not forks: a forked child would inherit
SQLite's per-process lock bookkeeping for the file, and a process with threads
(the dashboard) must not fork. Nor are they multiprocessing's spawned children,
which run the parent's main script again (a script calling ``rebuild`` without
a ``__main__`` guard would rebuild in every child).
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import subprocess
import sys
from collections import OrderedDict
from contextlib import suppress
from multiprocessing.connection import Connection
from typing import Any

from tui_es.es.codec import EventCodec
from tui_es.es.collector import collector_paused
from tui_es.es.store import Partition, PartitionReader, PartitionSource
from tui_es.es.views import TouchedRow, ViewProjection

log = logging.getLogger("tui_es.dispatcher")

RowText = tuple[str, int, int, str]  # (view_id, version, version stored before, payload JSON)


class WorkersUnavailable(Exception):
    """A fold process could not start, or ended: the stretch runs again in one process."""


class FoldWorkers:
    """Processes 1..parts-1 of a fold split ``parts`` ways (the caller folds partition 0)."""

    def __init__(
        self,
        source: PartitionSource,
        codec: EventCodec,
        view: ViewProjection,
        parts: int,
        working_rows: int,
        batch_size: int,
    ) -> None:
        self.parts = parts
        self.kept = False  # the processes hold rows from a committed stretch
        self._asked = False  # a stretch was sent and its answers are not read yet
        self._conns: list[Connection] = []
        self._procs: list[subprocess.Popen[bytes]] = []
        setup = (source, codec.recipe, view, parts, max(1, working_rows // parts))
        try:
            for part in range(1, parts):
                mine, theirs = socket.socketpair()
                try:
                    process = subprocess.Popen(
                        [sys.executable, "-c", _START, str(theirs.fileno())],
                        pass_fds=[theirs.fileno()],
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                finally:
                    theirs.close()
                conn = Connection(mine.detach())
                self._conns.append(conn)
                self._procs.append(process)
                conn.send(sys.path)
                conn.send((part, batch_size, *setup))
        except Exception as e:
            self.close()
            raise WorkersUnavailable(f"{type(e).__name__}: {e}") from e

    @staticmethod
    def can_send(source: PartitionSource, codec: EventCodec, view: ViewProjection) -> bool:
        """Whether the other processes can be given the codec and the view (classes by name)."""
        if os.name != "posix":  # the processes' sockets are handed over as descriptors
            return False
        try:
            pickle.dumps((source, codec.recipe, view))
        except Exception as e:  # a lambda, a local class: fold in one process
            log.info("view %s folds in one process: %s", view.name, e)
            return False
        return True

    def fold(self, after: int, until: int) -> None:
        """Start the other partitions of the stretch (``after``, ``until``]."""
        self._asked = True
        try:
            for conn in self._conns:
                conn.send(("fold", after, until))
        except (OSError, ValueError) as e:  # a process has ended
            raise WorkersUnavailable(f"a fold process cannot be reached: {e}") from e

    def results(self) -> list[RowText]:
        """The rows the other processes changed in the stretch; re-raises a fold's error."""
        answers = self._answers()
        rows: list[RowText] = []
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
            rows += answer
        return rows

    def _answers(self) -> list[list[RowText] | BaseException]:
        """One answer from every process to the stretch sent, before any error is raised:
        an answer left unread would be taken for the next stretch's."""
        self._asked = False
        return [
            self._receive(conn, process)
            for conn, process in zip(self._conns, self._procs, strict=True)
        ]

    def _receive(
        self, conn: Connection, process: subprocess.Popen[bytes]
    ) -> list[RowText] | BaseException:
        try:
            kind, value = conn.recv()
        except (EOFError, OSError):
            return WorkersUnavailable(f"a fold process ended (exit code {process.poll()})")
        except Exception as e:  # what it sent does not unpickle here
            return RuntimeError(f"a fold process sent what cannot be read: {e}")
        if kind == "rows":
            rows: list[RowText] = value
            return rows
        if kind == "unavailable":
            return WorkersUnavailable(str(value))
        error: BaseException = value  # the view's own, as a fold in one process would raise it
        return error

    def committed(self) -> None:
        self.kept = True
        self._tell("committed")

    def reset(self) -> None:
        """The stretch rolled back (or the view moved): the processes drop their rows."""
        self.kept = False
        if self._asked:  # the stretch failed here before their answers were read
            self._answers()
        self._tell("reset")

    def _tell(self, what: str) -> None:
        # a process that has ended is found out by the next stretch it is sent
        for conn in self._conns:
            with suppress(OSError, ValueError):
                conn.send((what,))

    def close(self) -> None:
        """Stop the processes: each ends at the end of its connection, or is killed."""
        for conn in self._conns:
            conn.close()
        for process in self._procs:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:  # still folding a stretch no one will read
                process.kill()
                process.wait(5)
        self._conns, self._procs = [], []


_START = "import sys; from tui_es.es.parallel import main; main(int(sys.argv[1]))"


def main(fd: int) -> None:
    """A fold process: folds its partition of each stretch it is sent, until its connection ends."""
    conn = Connection(fd)
    try:
        # the parent's import path first: the view's and the aggregates' classes come by name
        sys.path[:] = conn.recv()
        setup = conn.recv_bytes()
    except EOFError:
        return
    try:
        part, batch_size, source, recipe, view, parts, working_rows = pickle.loads(setup)
        codec = EventCodec(*recipe)
        reader = source.open()
    except Exception as e:
        _refuse_every_stretch(conn, f"could not start: {type(e).__name__}: {e}")
        return
    partition = _Partition(view, codec, reader, (part, parts), working_rows, batch_size)
    try:
        while True:
            try:
                message = conn.recv()
            except EOFError:  # the dispatcher is gone
                return
            kind = message[0]
            if kind == "fold":
                answer: tuple[str, Any]
                try:
                    answer = ("rows", partition.fold(message[1], message[2]))
                except Exception as e:
                    partition.reset()
                    answer = ("error", _sendable(e))
                try:
                    conn.send(answer)
                except OSError:  # the dispatcher is gone
                    return
            elif kind == "committed":
                partition.committed()
            elif kind == "reset":
                partition.reset()
            else:
                return
    finally:
        reader.close()


def _refuse_every_stretch(conn: Connection, reason: str) -> None:
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message[0] == "fold":
            conn.send(("unavailable", reason))


def _sendable(error: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


class _Partition:
    """One process's rows: folded stretch by stretch, kept (up to ``working_rows``) between.

    Within a stretch no row is let go: one written out would have to be read
    back, and the store holds it only once the stretch commits.
    """

    def __init__(
        self,
        view: ViewProjection,
        codec: EventCodec,
        reader: PartitionReader,
        partition: Partition,
        working_rows: int,
        batch_size: int,
    ) -> None:
        self.view = view
        self.codec = codec
        self.reader = reader
        self.partition = partition
        self.working_rows = working_rows
        self.batch_size = batch_size
        self.rows: OrderedDict[str, TouchedRow] = OrderedDict()
        self.changed: set[str] = set()

    def fold(self, after: int, until: int) -> list[RowText]:
        view, rows, changed = self.view, self.rows, self.changed
        get, to_end = rows.get, rows.move_to_end
        types = sorted(view.aggregate_types)
        with collector_paused:
            for batch in self.reader.iter_rows(
                after, until, types, self.batch_size, self.partition
            ):
                for envelope in self.codec.iter_decoded(batch):
                    view_id = envelope.aggregate_id
                    entry = get(view_id)
                    if entry is None:
                        entry = rows[view_id] = view.load_row(self.reader, view_id)
                    else:
                        to_end(view_id)
                    entry.view.update(envelope)
                    entry.version += 1
                    changed.add(view_id)
        encode = self.reader.encode
        return [(i, rows[i].version, rows[i].original, encode(rows[i].view)) for i in changed]

    def committed(self) -> None:
        """The rows sent are what the store holds now; the least recently used beyond the limit go."""
        for view_id in self.changed:
            entry = self.rows[view_id]
            entry.original = entry.version
        self.changed.clear()
        while len(self.rows) > self.working_rows:
            self.rows.popitem(last=False)

    def reset(self) -> None:
        self.rows.clear()
        self.changed.clear()
