"""The simulator's bookkeeping on evenings small enough to work out by hand, its refusals of
broken scenarios, and the `simulate` command as a newcomer runs it.

Every hand-worked evening: one 4-top, a usual sitting of 50 minutes, no history, 10 minutes
of grace, a 1-minute notify buffer and a 2-minute plating buffer.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test.utils import override_settings

from orders import simulation

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def evening(parties, menu=(("Soup", 5),), **room):
    return {
        "restaurant": {
            "tables": [{"seats": 4, "count": 1}],
            "avg_dine_in_duration_minutes": 50,
            "default_travel_minutes": 10,
            "grace_minutes": 10,
            "notify_buffer_minutes": 1,
            **room,
        },
        "menu": [{"name": name, "prep_minutes": prep, "price": "6.00"} for name, prep in menu],
        "parties": parties,
    }


def play(data, policy="readytable"):
    with override_settings(LIVE_QUEUE_BROADCAST=False):
        return simulation.run(simulation.load_scenario(data, "test"), policy)


def party(pid, join=0, size=2, travel=10, dine=40, items=None, no_show=False):
    return {
        "id": pid, "join": join, "party_size": size, "travel_minutes": travel,
        "dine_minutes": dine, "items": items or {}, "no_show": no_show,
    }


# --- one party --------------------------------------------------------------------------


def test_one_party_at_a_free_table_is_quoted_its_trip_and_finds_its_soup_ready():
    # Joins at 0, told at once (soup: 5 + 2 to plate < its 10-minute trip), quoted 10.
    # Kitchen fires at 10 - 5 - 2 = 3, soup ready at 8, party seated at 10.
    report = play(evening([party("p1", items={"Soup": 1})]))
    assert report == report | {
        "parties": 1, "seated": 1, "no_shows": 0,
        "quote_mae_minutes": 0.0, "quote_p90_abs_error_minutes": 0.0,
        "mean_lobby_wait_minutes": 0.0, "mean_table_idle_minutes": 0.0,
        "food_ready_at_seating_pct": 100.0, "mean_wait_minutes": 10.0,
        "tables_freed": 1, "tickets_fired_for_no_shows": 0,
    }


def test_the_seed_quotes_no_wait_for_a_free_table_though_the_party_needs_its_trip():
    # The formula says 0; the party is told when the table is free (at 0), arrives at 10.
    report = play(evening([party("p1", items={"Soup": 1})]), policy="seed")
    assert (report["quote_mae_minutes"], report["mean_wait_minutes"]) == (10.0, 10.0)
    assert report["food_ready_at_seating_pct"] == 100.0  # fired at 0, ready at 5


# --- two parties, one table -------------------------------------------------------------


def test_second_party_is_called_as_the_first_leaves_early_and_the_quote_error_is_counted():
    # p1 told at 0, seated at 10, leaves at 40 (not the usual 50). p2 was quoted for the
    # table's projected free time, 10 + 50 = 60; it is told at 40, when the table frees, and
    # sits at 50. Errors: 0 and 10. The table stands empty 40-50 while p2 is on its way: not
    # idle, since nobody who could sit there is still in the queue.
    report = play(evening([party("p1", dine=30), party("p2")]))
    assert (report["seated"], report["quote_mae_minutes"]) == (2, 5.0)
    assert report["quote_p90_abs_error_minutes"] == 10.0
    assert report["mean_lobby_wait_minutes"] == 0.0
    assert report["mean_table_idle_minutes"] == 0.0
    assert report["mean_wait_minutes"] == 30.0  # (10 + 50) / 2


def test_seed_quotes_both_parties_no_wait_while_one_table_is_free():
    report = play(evening([party("p1", dine=30), party("p2")]), policy="seed")
    # Quotes 0 and 0 against waits of 10 and 50.
    assert report["quote_mae_minutes"] == 30.0


def test_a_table_held_for_a_party_on_its_way_is_idle_while_another_could_sit_there():
    # Seed: p1 leaves at 40, p2 is told then and travels 30 minutes, while p3 (joined at 35)
    # waits in the queue for the next table: the freed table is idle 40-69 (30 minutes).
    parties = [party("p1", dine=30), party("p2", travel=30), party("p3", join=35)]
    report = play(evening(parties), policy="seed")
    # Two more tables freed later (p2 at 70 + 40, p3 after): nobody waits then.
    assert report["tables_freed"] == 3
    assert report["mean_table_idle_minutes"] == 10.0  # 30 idle minutes over 3 freed tables


# --- no-shows -----------------------------------------------------------------------------


def test_no_show_loses_its_table_after_half_its_grace_and_is_marked_after_all_of_it():
    # p1 is told at 0 (due at 10) and never comes. Past 15 it loses its place, so p2 is
    # told at 16 and sits at 26; p1 is marked a no-show at 21.
    report = play(evening([party("p1", no_show=True), party("p2")]))
    assert (report["seated"], report["no_shows"]) == (1, 1)
    assert report["mean_wait_minutes"] == 26.0


def test_seed_host_waits_out_the_whole_grace_period_before_calling_the_next_party():
    report = play(evening([party("p1", no_show=True), party("p2")]), policy="seed")
    assert (report["seated"], report["no_shows"], report["mean_wait_minutes"]) == (1, 1, 31.0)


def test_food_fired_for_a_party_that_never_came_is_counted():
    # Risotto (20 + 2) takes longer than p1's 10-minute trip: fired at 0, before the call.
    parties = [party("p1", items={"Risotto": 1}, no_show=True)]
    report = play(evening(parties, menu=(("Risotto", 20),)))
    assert report["tickets_fired_for_no_shows"] == 1


# --- the room at the start and learning from history ----------------------------------------


def test_parties_seated_before_service_hold_their_tables_until_they_leave():
    data = evening([party("p1")])
    data["occupied_at_start"] = [
        {"seats": 4, "party_size": 3, "seated_minutes_ago": 20, "dine_minutes": 35}
    ]
    report = play(data)
    # The table frees at 15 (35 - 20); p1 is quoted 30 (the usual 50 - 20), told at 15 as the
    # table frees ahead of its projection, and sits at 25.
    assert report["mean_wait_minutes"] == 25.0
    assert report["quote_mae_minutes"] == 5.0


def test_history_teaches_the_sitting_that_quotes_are_made_from():
    data = evening([party("p1")])
    data["occupied_at_start"] = [
        {"seats": 4, "party_size": 2, "seated_minutes_ago": 10, "dine_minutes": 40}
    ]
    # Service starts at 18:00; couples around then have stayed 40 minutes.
    data["history"] = [{"party_size": 2, "dine_minutes": 40, "start": 1075} for _ in range(10)]
    report = play(data)
    # Learned 40, not the configured 50: table free at 30 and p1 quoted 30, exactly right.
    assert (report["quote_mae_minutes"], report["mean_wait_minutes"]) == (0.0, 30.0)


# --- broken scenarios -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["parties"][0]["items"].update(Pizza=1), "parties[0].items: unknown menu item 'Pizza'"),
        (lambda d: d["parties"][0].update(party_size=9), "parties[0].party_size: 9 is larger than every table"),
        (lambda d: d["parties"][0].update(join=-5), "parties[0].join: must be at least 0"),
        (lambda d: d["parties"][0].update(travel_minutes=-1), "parties[0].travel_minutes: must be at least 0"),
        (lambda d: d["restaurant"].update(tables=[]), "restaurant.tables: needs at least one table"),
        (lambda d: d["menu"][0].update(price="cheap"), "menu[0].price"),
        (lambda d: d.update(parties=[]), "parties: needs at least one party"),
        (lambda d: d["parties"].append(dict(d["parties"][0])), "parties[1].id: 'p1' is used twice"),
        (lambda d: d.update(occupied_at_start=[{"seats": 6, "seated_minutes_ago": 5, "dine_minutes": 9}]),
         "occupied_at_start[0].seats: the room has no table of 6"),
    ],
)
def test_broken_scenarios_are_refused_naming_the_field(change, message):
    data = evening([party("p1", items={"Soup": 1})])
    change(data)
    with pytest.raises(simulation.ScenarioError) as refusal:
        simulation.load_scenario(data)
    assert message in str(refusal.value)


# --- the command --------------------------------------------------------------------------------


def simulate(*args):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "manage.py", "simulate", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "two-parties.json"
    path.write_text(json.dumps(evening([party("p1", dine=30), party("p2")])))
    return path


def test_simulate_prints_one_json_object_with_the_figures(scenario_file):
    done = simulate(str(scenario_file), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    for key in simulation.METRIC_KEYS:
        assert key in report, key
    assert (report["policy"], report["scenario"], report["parties"]) == ("readytable", "two-parties", 2)


def test_simulate_with_the_seed_policy_reports_the_seeds_figures(scenario_file):
    report = json.loads(simulate(str(scenario_file), "--policy", "seed", "--json").stdout)
    assert (report["policy"], report["quote_mae_minutes"]) == ("seed", 30.0)


def test_simulate_both_puts_the_seed_beside_readytable_and_checks_the_targets(scenario_file):
    report = json.loads(simulate(str(scenario_file), "--policy", "both", "--json").stdout)
    assert report["policy"] == "readytable" and report["seed"]["policy"] == "seed"
    assert report["targets"]["quote_mae_vs_seed"] == {"met": True, "value": 5.0, "target": "<= 40% of seed"}


def test_simulate_prints_a_readable_report_without_json(scenario_file):
    done = simulate(str(scenario_file))
    assert "Quote error, mean (min)" in done.stdout and "readytable" in done.stdout


def test_simulate_refuses_a_broken_scenario_with_the_field_and_a_failing_exit(tmp_path):
    path = tmp_path / "broken.json"
    data = evening([party("p1", items={"Pizza": 1})])
    path.write_text(json.dumps(data))
    done = simulate(str(path), "--json")
    assert done.returncode != 0
    assert "parties[0].items: unknown menu item 'Pizza'" in done.stderr
    assert simulate(str(tmp_path / "missing.json")).returncode != 0


def test_simulate_leaves_the_real_database_alone(scenario_file, tmp_path):
    # On the default set-up the evening is played on a throwaway in-memory database.
    real = tmp_path / "real.sqlite3"
    env_db = {"SQLITE_PATH": str(real)}
    done = subprocess.run(
        [sys.executable, "manage.py", "simulate", str(scenario_file), "--json"],
        cwd=ROOT, env={**os.environ, **env_db, "DATABASE_URL": ""},
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert not real.exists() or real.stat().st_size == 0
