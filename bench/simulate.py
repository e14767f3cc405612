#!/usr/bin/env python
"""ReadyTable's timing against the original description's rules, on every shipped scenario.

For each scenarios/*.json, `manage.py simulate SCENARIO --policy both --json` plays the
evening twice on a throwaway database (ReadyTable's projection, smart notify, fire times and
no-show rules; then the seed: its formula for the quote, parties told only once a table is
free, food fired as they are told) and this prints the figures side by side with the targets:

  quote error (mean)      at most 40% of the seed's
  lobby wait (mean)       under 2 minutes
  idle freed table (mean) under 3 minutes
  food ready at seating   at least 90%

It exits non-zero when a target is missed, so it can guard a change to the timing rules; it is
a benchmark, not a test (it takes a few minutes).

    .venv/bin/python bench/simulate.py
    .venv/bin/python bench/simulate.py scenarios/friday-rush.json
    .venv/bin/python bench/simulate.py --markdown      # the README's table
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROWS = [
    ("parties", "parties", None),
    ("seated", "seated", None),
    ("no_shows", "no-shows", None),
    ("quote_mae_minutes", "quote error, mean (min)", "quote_mae_vs_seed"),
    ("quote_p90_abs_error_minutes", "quote error, 90th pct (min)", None),
    ("mean_lobby_wait_minutes", "lobby wait, mean (min)", "lobby_wait"),
    ("mean_table_idle_minutes", "idle freed table, mean (min)", "table_idle"),
    ("food_ready_at_seating_pct", "food ready at seating (%)", "food_ready"),
    ("mean_wait_minutes", "wait joined to seated, mean (min)", None),
    ("tickets_fired_for_no_shows", "food fired for no-shows", None),
]


def simulate(path):
    done = subprocess.run(
        [sys.executable, "manage.py", "simulate", str(path), "--policy", "both", "--json"],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if done.returncode != 0:
        sys.exit(f"{path}: {done.stderr.strip()}")
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", help="scenario files (default: scenarios/*.json)")
    parser.add_argument("--markdown", action="store_true", help="print one Markdown table")
    args = parser.parse_args()
    paths = [Path(p) for p in args.scenarios] or sorted((ROOT / "scenarios").glob("*.json"))

    results = [(path.stem, simulate(path)) for path in paths]
    missed = []
    if args.markdown:
        header = "| | " + " | ".join(f"{name} ReadyTable | seed" for name, _ in results) + " |"
        print(header)
        print("|" + " --- |" * (1 + 2 * len(results)))
    for key, label, target in ROWS:
        cells = []
        for name, report in results:
            mark = ""
            if target:
                met = report["targets"][target]["met"]
                mark = " ✓" if met else " ✗"
                if not met:
                    missed.append(f"{name}: {label} {report[key]} (target {report['targets'][target]['target']})")
            cells.append((f"{report[key]}{mark}", f"{report['seed'][key]}"))
        if args.markdown:
            print(f"| {label} | " + " | ".join(f"{a} | {b}" for a, b in cells) + " |")
        else:
            print(f"{label:<36}" + "".join(f"{a:>14}{b:>10}" for a, b in cells))
    if not args.markdown:
        print(f"{'':<36}" + "".join(f"{name[:22]:>24}" for name, _ in results))
        print(f"{'':<36}" + "".join(f"{'ReadyTable':>14}{'seed':>10}" for _ in results))
    if missed:
        print("\nTargets missed:\n  " + "\n  ".join(missed))
        sys.exit(1)
    print("\nEvery target met on every scenario.")


if __name__ == "__main__":
    main()
