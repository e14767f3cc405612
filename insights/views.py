"""The insights screen, its CSV downloads and the what-if button: for the restaurant's
managers (and superusers). Views parse the period and hand over to insights.screen."""

import csv

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from orders import clock
from orders.views.access import manager_of_restaurant
from orders.views.fragments import render_flash

from . import screen, whatif
from .findings import MIN_SEATED
from .periods import DEFAULT, PRESET_LABELS, PeriodError, parse_period


def _picker(request, period=None):
    """What the period picker shows: the period asked for, or (after a refusal) what was typed."""
    if period is not None:
        return {"period": period.key, "start": period.first_day.isoformat(), "end": period.last_day.isoformat()}
    return {
        "period": request.GET.get("period") or DEFAULT,
        "start": (request.GET.get("start") or "")[:10],
        "end": (request.GET.get("end") or "")[:10],
    }


def _screen_context(restaurant, period, now):
    with screen.reading():
        context = screen.insights_screen(restaurant, period, now)
    # Templates cannot look up "waits-by-hour": the same charts under waits_by_hour.
    context["chart"] = {key.replace("-", "_"): chart for key, chart in context["charts"].items()}
    context.update(
        restaurant=restaurant,
        period=period,
        period_query=urlencode(period.query()),
        min_seated=MIN_SEATED,
    )
    return context


def _page(request, restaurant, period, now, *, status=200, flash=None):
    context = _screen_context(restaurant, period, now)
    context.update(
        screen="insights",
        previous=period.previous(),
        picker=_picker(request, period),
        choices=PRESET_LABELS.items(),
        flash=flash,
        time_zone=timezone.get_current_timezone_name(),
    )
    return render(request, "insights/page.html", context, status=status)


@require_safe
@manager_of_restaurant("see insights")
def insights_page(request, restaurant):
    now = clock.now()
    try:
        period = parse_period(request.GET, now)
    except PeriodError as refusal:
        return render(
            request,
            "insights/page.html",
            {
                "restaurant": restaurant, "screen": "insights", "refusal": refusal.message,
                "picker": _picker(request), "choices": PRESET_LABELS.items(),
                "time_zone": timezone.get_current_timezone_name(),
            },
            status=400,
        )
    return _page(request, restaurant, period, now)


# Spreadsheets run a cell that starts with one of these as a formula: a dish named "=1+1"
# must arrive as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@require_safe
@manager_of_restaurant("download insights")
def insights_csv(request, restaurant, table):
    if table not in screen.TABLE_KEYS:
        raise Http404("There is no such table on the insights screen.")
    now = clock.now()
    try:
        period = parse_period(request.GET, now)
    except PeriodError as refusal:
        return HttpResponse(refusal.message, content_type="text/plain; charset=utf-8", status=400)
    with screen.reading():
        found = screen.one_table(restaurant, period, table, now)
    if found is None:
        raise Http404("The what-if has not been worked out yet: press “Work out the what-if” first.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"{restaurant.slug}-{table}" + ("" if table in ("demand-forecast", "what-if") else f"-{period.slug}")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(found.columns)
    for row in found.rows:
        writer.writerow([_cell(v) for v in row])
    return response


@require_POST
@manager_of_restaurant("work out the what-if")
def what_if(request, restaurant):
    """Play the busiest forecast day through the simulator (tens of seconds, in child
    processes: the server goes on serving meanwhile) and show the result."""
    now = clock.now()
    back = reverse("insights:page", args=[restaurant.slug])
    period = None
    try:
        period = parse_period(request.POST, now)
    except PeriodError:
        period = parse_period({}, now)
    htmx = request.headers.get("HX-Request") == "true"
    try:
        whatif.run_what_if(restaurant, now)
    except whatif.WhatIfError as refusal:
        if htmx:
            return HttpResponse(render_flash(refusal.message, "error", request), status=refusal.status_code)
        return _page(
            request, restaurant, period, now, status=refusal.status_code,
            flash={"message": refusal.message, "level": "error"},
        )
    done = "The what-if is worked out: see “What one more table would do”."
    if htmx:
        context = {**_screen_context(restaurant, period, now), "oob": True}
        body = render_to_string("insights/_what_if.html", context, request)
        return HttpResponse(body + render_flash(done, "success", request))
    messages.success(request, done)
    return redirect(f"{back}?{urlencode(period.query())}#what-if")
