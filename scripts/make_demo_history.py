"""Regenerate data/bank-demo.jsonl, the history the default store starts with.

Six accounts, four days of activity. Withdrawals of the first two days are
stored as cqrs-demo stores them (CustomerWithdrewCash 1.0, no atm_id), as if
the ATM id had been added to the event on the third day: opening the demo
shows the upcaster at work.

    .venv/bin/python scripts/make_demo_history.py
"""

from __future__ import annotations

import json
from pathlib import Path

from tui_es.demo import synthesize
from tui_es.domains.bank import DOMAIN

SCHEMA_CHANGE = "2026-11-04T00:00:00"


def main() -> None:
    out = Path(__file__).resolve().parent.parent / "data" / "bank-demo.jsonl"
    lines = []
    for position, event in enumerate(synthesize(DOMAIN, 6, 14, seed=1170), start=1):
        row = event.to_json_dict()
        row["position"] = position
        if row["event_type"] == "CustomerWithdrewCash" and row["recorded_at"] < SCHEMA_CHANGE:
            body = dict(row["payload"]["CustomerWithdrewCash"])
            body.pop("atm_id", None)
            row["payload"] = {"CustomerWithdrewCash": body}
            row["event_version"] = "1.0"
        lines.append(json.dumps(row, separators=(",", ":"), ensure_ascii=False))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} events to {out}")


if __name__ == "__main__":
    main()
