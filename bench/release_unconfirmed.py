#!/usr/bin/env python
"""Release of unconfirmed parties, measured: the idle freed table minutes (and what they
cost: lobby waits, quote error) with the restaurant setting "release unconfirmed parties
after N minutes" off and on, on the shipped no-show night and fresh draws of it (and of the
other two kinds, with --all-kinds). Each party answers "on my way" when its scenario says
(scenarios/generate.py: most within minutes, 10% never though they come, no-shows never).

    .venv/bin/python bench/release_unconfirmed.py                  # draws 0-3, off / 5 / 10 min
    .venv/bin/python bench/release_unconfirmed.py --draws 0,1 --after 0,5
    .venv/bin/python bench/release_unconfirmed.py --all-kinds      # the README's table (about 15 min)
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scenarios"))
import generate  # noqa: E402

KINDS = {
    "large-parties-no-shows": generate.big_parties_and_no_shows,
    "friday-rush": generate.friday_rush,
    "quiet-weeknight": generate.quiet_weeknight,
}


def simulate(path, after):
    done = subprocess.run(
        [sys.executable, "manage.py", "simulate", str(path), "--json", "--release-after", str(after)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if done.returncode != 0:
        sys.exit(f"{path}: {done.stderr.strip()}")
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", default="0,1,2,3", help="draws of scenarios/generate.py (0 = shipped)")
    parser.add_argument("--after", default="0,5,10", help="release after N minutes (0 = off)")
    parser.add_argument("--all-kinds", action="store_true", help="every kind of evening, not only the no-show night")
    args = parser.parse_args()
    draws = [int(d) for d in args.draws.split(",")]
    afters = [int(a) for a in args.after.split(",")]
    kinds = KINDS if args.all_kinds else {"large-parties-no-shows": KINDS["large-parties-no-shows"]}
    print("| evening | draw | release after | idle freed table (min) | lobby wait (min) | quote error (min) | released | no-shows |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for kind, make in kinds.items():
            for draw in draws:
                path = Path(folder) / f"{kind}-{draw}.json"
                path.write_text(json.dumps(make(draw)))
                for after in afters:
                    r = simulate(path, after)
                    label = "off" if after == 0 else f"{after} min"
                    print(
                        f"| {kind} | {draw}{' (shipped)' if draw == 0 else ''} | {label} | {r['mean_table_idle_minutes']} "
                        f"| {r['mean_lobby_wait_minutes']} | {r['quote_mae_minutes']} | {r['released']} | {r['no_shows']} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
