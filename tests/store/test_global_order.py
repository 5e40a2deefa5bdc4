"""A reader following the log by position never misses an event, whatever the writers do."""

from __future__ import annotations

import threading
import time

from tui_es.domains.bank import DOMAIN, DepositMoney, OpenAccount
from tui_es.es import Application, RetryPolicy
from tui_es.store import SqlEventStore
from tui_es.store.watch import HeadWatcher

WRITERS = 4
COMMANDS = 40


def test_concurrent_writers_and_a_follower(store_url: str) -> None:
    setup = Application(DOMAIN, SqlEventStore(store_url))
    for account in ["shared"] + [f"w{w}" for w in range(WRITERS)]:
        setup.execute(account, OpenAccount(account_id=account))
    start = setup.store.head_position()
    total = start + WRITERS * COMMANDS
    seen: list[int] = []
    problems: list[str] = []
    done = threading.Event()

    def follow() -> None:
        store = SqlEventStore(store_url)
        watcher = HeadWatcher(store, poll_interval=0.01)
        last = start
        try:
            while last < total:
                rows = store.read_events(after_position=last, limit=50)
                for row in rows:
                    assert row.position is not None
                    if row.position != last + 1:
                        problems.append(f"after {last} the follower saw {row.position}")
                    last = row.position
                    seen.append(last)
                if not rows:
                    if done.is_set() and store.head_position() == last:
                        break
                    watcher.wait(last, 0.5)
        finally:
            watcher.close()
            store.close()

    def write(w: int) -> None:
        app = Application(DOMAIN, SqlEventStore(store_url), retry=RetryPolicy(attempts=20))
        for i in range(COMMANDS):
            # every writer also hits one shared account, to provoke conflicts and retries
            app.execute("shared" if i % 4 == 0 else f"w{w}", DepositMoney(amount=1.0))
        app.store.close()

    follower = threading.Thread(target=follow)
    follower.start()
    writers = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    follower.join(timeout=60)
    assert not follower.is_alive()
    assert problems == []
    assert seen == list(range(start + 1, total + 1))
    shared_deposits = WRITERS * COMMANDS // 4
    for w in range(WRITERS):
        state, version = setup.state(f"w{w}")
        assert version == COMMANDS - COMMANDS // 4 + 1
        assert state.state_json()["balance"] == COMMANDS - COMMANDS // 4
    state, version = setup.state("shared")
    assert (version, state.state_json()["balance"]) == (shared_deposits + 1, shared_deposits)
    view = setup.store.load_view("account_query", "shared")
    assert view is not None and view.payload["balance"] == shared_deposits


def test_watcher_wakes_when_another_connection_commits(store_url: str) -> None:
    app = Application(DOMAIN, SqlEventStore(store_url))
    watcher = HeadWatcher(SqlEventStore(store_url), poll_interval=0.05)
    if app.store.dialect == "postgresql":
        assert watcher.mode == "listen/notify"
    assert watcher.wait(0, 0.05) == 0

    def later() -> None:
        time.sleep(0.2)
        app.execute("x", OpenAccount(account_id="x"))

    writer = threading.Thread(target=later)
    writer.start()
    head = watcher.wait(0, 10.0)
    writer.join()
    watcher.close()
    assert head == 1
