"""Findings: a few plain sentences written by rules from the period's figures, each with the
figure it rests on, how many parties that is, and the chart to look at.

A finding needs enough parties behind it: none at all for a period with fewer than
MIN_SEATED seated parties, and none about a group (an hour, a party size, a dish) with fewer
than MIN_GROUP. Thresholds say when a difference is worth a manager's attention."""

from dataclasses import dataclass

from .screen import long_day, money, pct

MIN_SEATED = 30
MIN_GROUP = 20
MIN_TICKETS = 10


@dataclass
class Finding:
    text: str
    figure: str
    sample: str
    chart: str  # the anchor of its chart


def _anchor(key):
    return f"chart-{key}"


def findings(summary, charts, late, lost, demand, what_if):
    if summary.seated < MIN_SEATED:
        return []
    found = []
    overall = summary.mean_wait or 0

    hours = [r for r in charts["waits-by-hour"].data if r.seated >= MIN_GROUP and r.mean_wait is not None]
    if hours:
        worst = max(hours, key=lambda r: r.mean_wait)
        if worst.mean_wait >= overall + 5 and worst.mean_wait >= 1.25 * overall:
            found.append(Finding(
                f"Parties who joined at {worst.label} waited longest: {worst.mean_wait:.0f} min on "
                f"average, against {overall:.0f} min over the whole period.",
                f"{worst.mean_wait:.0f} min", f"{worst.seated} parties seated", _anchor("waits-by-hour"),
            ))

    sizes = [r for r in charts["waits-by-size"].data if r.seated >= MIN_GROUP and r.mean_wait is not None]
    if len(sizes) >= 2:
        worst = max(sizes, key=lambda r: r.mean_wait)
        best = min(sizes, key=lambda r: r.mean_wait)
        if worst.mean_wait - best.mean_wait >= 5:
            found.append(Finding(
                f"Parties of {worst.label} waited {worst.mean_wait - best.mean_wait:.0f} min longer than "
                f"parties of {best.label} ({worst.mean_wait:.0f} against {best.mean_wait:.0f} min): "
                "the room is short of tables their size.",
                f"+{worst.mean_wait - best.mean_wait:.0f} min", f"{worst.seated + best.seated} parties seated",
                _anchor("waits-by-size"),
            ))

    if summary.quote_bias is not None and abs(summary.quote_bias) >= 3:
        short = summary.quote_bias > 0
        found.append(Finding(
            f"Quotes ran {abs(summary.quote_bias):.0f} min {'short' if short else 'long'} on average: "
            + ("parties waited longer than they were told." if short else "parties were told to expect longer than they waited, which may turn some away."),
            f"{abs(summary.quote_bias):.1f} min", f"{summary.seated} parties seated", _anchor("quote-accuracy-by-hour"),
        ))
    biased = [r for r in charts["quote-accuracy-by-hour"].data if r.seated >= MIN_GROUP and r.quote_bias is not None]
    if biased:
        worst = max(biased, key=lambda r: abs(r.quote_bias))
        if abs(worst.quote_bias) >= 5:
            found.append(Finding(
                f"At {worst.label} quotes ran {abs(worst.quote_bias):.0f} min "
                f"{'short' if worst.quote_bias > 0 else 'long'}, and only {pct(worst.on_time_pct)} of "
                "parties sat down within 5 minutes of theirs.",
                f"{abs(worst.quote_bias):.0f} min", f"{worst.seated} parties seated", _anchor("quote-accuracy-by-hour"),
            ))

    drop = [r for r in charts["drop-off-by-quote"].data if r.joined >= MIN_GROUP]
    if len(drop) >= 2:
        base = drop[0]
        for row in drop[1:]:
            if row.left_pct >= max(2 * base.left_pct, base.left_pct + 10):
                found.append(Finding(
                    f"From quotes of {row.label}, {row.left_pct:.0f}% of parties left the queue, against "
                    f"{base.left_pct:.0f}% of those quoted {base.label}: longer quotes start losing diners there.",
                    pct(row.left_pct), f"{row.joined} parties quoted {row.label}", _anchor("drop-off-by-quote"),
                ))
                break

    turns = [r for r in charts["table-turn-by-size"].data if r.completed >= MIN_GROUP and r.median_minutes is not None]
    if turns:
        longest = max(turns, key=lambda r: r.over_configured)
        if longest.over_configured >= 10:
            found.append(Finding(
                f"Parties of {longest.label} stayed {longest.median_minutes:.0f} min (median), "
                f"{longest.over_configured:.0f} more than the usual sitting of {longest.configured} min "
                "set on the host stand.",
                f"{longest.median_minutes:.0f} min", f"{longest.completed} sittings", _anchor("table-turn-by-size"),
            ))

    slow = sorted(
        (r for r in charts["prep-by-dish"].data if r.tickets >= MIN_TICKETS and r.over_estimate is not None and r.over_estimate >= 3),
        key=lambda r: -r.over_estimate,
    )
    for dish in slow[:2]:
        found.append(Finding(
            f"{dish.dish} takes {dish.mean_minutes:.0f} min from fired to ready, {dish.over_estimate:.0f} more "
            f"than the menu's {dish.estimate}: tickets waiting for it are fired too late.",
            f"{dish.mean_minutes:.0f} min", f"{dish.tickets} tickets", _anchor("prep-by-dish"),
        ))
    if late.tickets >= MIN_GROUP and (late.late_pct or 0) >= 20:
        found.append(Finding(
            f"{late.late_pct:.0f}% of tickets were started after their fire time, by "
            f"{late.mean_minutes_late:.0f} min on average.",
            pct(late.late_pct), f"{late.tickets} tickets", _anchor("prep-by-dish"),
        ))
    if summary.food_marked_ready >= MIN_SEATED and (summary.food_ready_pct or 100) < 90:
        found.append(Finding(
            f"Food was ready when the party sat down for {summary.food_ready_pct:.0f}% of parties; "
            "the aim is 90% or more.",
            pct(summary.food_ready_pct), f"{summary.food_marked_ready} parties", _anchor("prep-by-dish"),
        ))

    if lost.no_shows >= 3 and lost.no_show_value > 0:
        fired = (
            f"; the kitchen had already started {lost.fired_for_no_shows} of those tickets "
            f"({money(lost.fired_value)})" if lost.fired_for_no_shows else ""
        )
        found.append(Finding(
            f"No-shows had pre-ordered {money(lost.no_show_value)} of food{fired}.",
            money(lost.no_show_value), f"{lost.no_shows} no-shows", _anchor("revenue-per-queue-position"),
        ))

    if what_if and what_if.result and what_if.result.get("best"):
        result = what_if.result
        today = result["rooms"][0]
        best = next(r for r in result["rooms"] if r["label"] == result["best"])
        found.append(Finding(
            f"{best['label']} would cut the mean wait on {long_day(what_if.day)} from "
            f"{today['mean_wait']:.0f} to {best['mean_wait']:.0f} min, played through the simulator as forecast.",
            f"−{today['mean_wait'] - best['mean_wait']:.0f} min", f"{result['parties']} forecast parties",
            _anchor("what-if"),
        ))
    return found
