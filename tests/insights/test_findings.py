"""Findings: the sentences the rules write from a week's figures, each with its figure, how
many parties it rests on and the chart to look at; none on too little history.

The week of 2 June 2025 at Trattoria Verde (usual sitting 50 min):
- 40 couples join around 18:00, are quoted 10 min and sit down after 10, stay 45 min;
- 20 couples join around 19:00 quoted 50 min: half sit down after 45, half give up;
- 25 parties of four join around 20:00, are quoted 15 min but wait 30, stay 75 min, and
  their risotto takes 26 min from fired to ready (the menu says 20);
- 3 couples told to come never turn up, with two pizzas each; one ticket was started."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from insights import screen
from insights.periods import period_between

from .conftest import at

pytestmark = pytest.mark.django_db


def the_week():
    tz = timezone.get_current_timezone()
    return period_between(date(2025, 6, 2), date(2025, 6, 8), datetime(2025, 6, 9, 10, tzinfo=tz), tz)


def findings(restaurant):
    return screen.insights_screen(restaurant, the_week(), at("2025-06-09 10:00"))["findings"]


def a_week(story, couples_on_time=40):
    monday = at("2025-06-02 18:00")
    for i in range(couples_on_time):
        story.seated(monday + timedelta(minutes=i), quoted=10, waited=10, stayed=45)
    for i in range(20):
        joined = monday + timedelta(hours=1, minutes=i)
        if i % 2:
            story.left(joined, quoted=50, after=20)
        else:
            story.seated(joined, quoted=50, waited=45, stayed=45)
    for i in range(25):
        story.seated(monday + timedelta(hours=2, minutes=i), size=4, quoted=15, waited=30, stayed=75,
                     dishes={"risotto": 1}, fired=2, ready=28)
    for i in range(3):
        story.no_show(monday + timedelta(minutes=i), quoted=10, dishes={"pizza": 2}, fired=5 if i == 0 else None)


def test_a_busy_week_gives_findings_each_with_its_figure_parties_and_chart(restaurant, story):
    a_week(story)
    found = findings(restaurant)
    assert [f.text for f in found] == [
        "Parties who joined at 20:00 waited longest: 30 min on average, against 21 min over the whole period.",
        "Parties of 3-4 waited 13 min longer than parties of 1-2 (30 against 17 min): the room is short of tables their size.",
        "Quotes ran 4 min short on average: parties waited longer than they were told.",
        "At 20:00 quotes ran 15 min short, and only 0% of parties sat down within 5 minutes of theirs.",
        "From quotes of 45-59 min, 50% of parties left the queue, against 0% of those quoted 10-19 min: longer quotes start losing diners there.",
        "Parties of 3-4 stayed 75 min (median), 25 more than the usual sitting of 50 min set on the host stand.",
        "Mushroom risotto takes 26 min from fired to ready, 6 more than the menu's 20: tickets waiting for it are fired too late.",
        "No-shows had pre-ordered $87.00 of food; the kitchen had already started 1 of those tickets ($29.00).",
    ]
    assert [(f.figure, f.sample, f.chart) for f in found] == [
        ("30 min", "25 parties seated", "chart-waits-by-hour"),
        ("+13 min", "75 parties seated", "chart-waits-by-size"),
        ("4.3 min", "75 parties seated", "chart-quote-accuracy-by-hour"),
        ("15 min", "25 parties seated", "chart-quote-accuracy-by-hour"),
        ("50%", "20 parties quoted 45-59 min", "chart-drop-off-by-quote"),
        ("75 min", "25 sittings", "chart-table-turn-by-size"),
        ("26 min", "25 tickets", "chart-prep-by-dish"),
        ("$87.00", "3 no-shows", "chart-revenue-per-queue-position"),
    ]


def test_every_finding_links_to_a_chart_on_the_page(restaurant, story, manager_user, client):
    from orders import clock

    a_week(story)
    client.force_login(manager_user)
    with clock.use(clock.ManualClock(at("2025-06-09 10:00"))):
        page = client.get(
            f"/restaurant/{restaurant.slug}/insights/", {"period": "custom", "start": "2025-06-02", "end": "2025-06-08"}
        ).content.decode()
    for f in findings(restaurant):
        assert f'href="#{f.chart}"' in page
        assert f'id="{f.chart}"' in page


def test_too_little_history_gives_no_findings_at_all(restaurant, story):
    # 29 seated parties: the same skewed week, short of the 30 a finding needs.
    monday = at("2025-06-02 18:00")
    for i in range(4):
        story.seated(monday + timedelta(minutes=i), quoted=10, waited=10, stayed=45)
    for i in range(25):
        story.seated(monday + timedelta(hours=2, minutes=i), size=4, quoted=15, waited=40, stayed=90)
    assert findings(restaurant) == []


def test_an_even_week_gives_nothing_to_point_at(restaurant, story):
    monday = at("2025-06-02 18:00")
    for i in range(60):
        story.seated(monday + timedelta(minutes=3 * i), quoted=15, waited=15 + i % 3, stayed=50)
    assert findings(restaurant) == []
