"""Database expressions the insights are built from, written once for both databases
ReadyTable runs on: minutes between two moments, and percentiles.

PostgreSQL has `percentile_cont`; SQLite has no percentile at all. `percentiles` asks
PostgreSQL for percentile_cont and, elsewhere, ranks the values in the database with window
functions and fetches only the one or two rows each percentile lies between, so it never
reads every row into Python. Both give percentile_cont's answer: linear interpolation
between the closest ranks."""

from django.db import connection
from django.db.models import Aggregate, F, FloatField, Func, Value


class Minutes(Func):
    """Minutes (a float) from `start` to `end`; NULL when either is NULL."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, **extra_context):  # pragma: no cover - per vendor
        raise NotImplementedError(f"Minutes is not written for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql_template(
            compiler, connection, "(EXTRACT(EPOCH FROM (%(expressions)s)) / 60.0)", " - "
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql_template(
            compiler, connection, "((julianday(%s) - julianday(%s)) * 1440.0)", None
        )

    def as_sql_template(self, compiler, connection, template, joiner):
        end_sql, end_params = compiler.compile(self.source_expressions[0])
        start_sql, start_params = compiler.compile(self.source_expressions[1])
        if joiner is None:
            return template % (end_sql, start_sql), [*end_params, *start_params]
        return template % {"expressions": f"{end_sql}{joiner}{start_sql}"}, [
            *end_params,
            *start_params,
        ]


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction, **extra):
        # The fraction is ours (0.5, 0.9), never a visitor's: it is written into the SQL.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def in_the_aggregate():
    """Whether a percentile can be one more aggregate of a grouped query (PostgreSQL's
    percentile_cont, with FILTER) rather than a query of its own (the ranked way)."""
    return connection.vendor == "postgresql"


def percentiles(queryset, value, fractions, group=None, *, ranked=None):
    """{group: {fraction: percentile or None}} of `value` (an expression over `queryset`'s
    rows) for each `group` (an expression; None for one group keyed None). Rows whose value is
    NULL are left out. One query.

    `ranked` forces the window-function way (tests compare it with percentile_cont)."""
    fractions = tuple(fractions)
    if ranked is None:
        ranked = connection.vendor != "postgresql"
    rows = queryset.annotate(_v=value, _g=group if group is not None else Value(0)).filter(
        _v__isnull=False
    )
    if not ranked:
        figures = {f"p{i}": PercentileCont(F("_v"), f) for i, f in enumerate(fractions)}
        found = rows.values("_g").annotate(**figures).order_by()
        return {
            (row["_g"] if group is not None else None): {
                f: _float(row[f"p{i}"]) for i, f in enumerate(fractions)
            }
            for row in found
            if row["p0"] is not None  # no rows at all: no group, as with ranking
        }
    return _ranked_percentiles(rows, fractions, group is not None)


def _float(value):
    return None if value is None else float(value)


def _ranked_percentiles(rows, fractions, grouped):
    """percentile_cont by ranking in the database. For a group of n values sorted, the
    fraction f lies at 0-based position k = f (n - 1); only the rows at floor(k) and ceil(k)
    are fetched: those whose position i has i - 1 < k < i + 1."""
    inner_sql, params = rows.values_list("_g", "_v").order_by().query.sql_with_params()
    near = " OR ".join(
        f"(rn - 2 < {float(f)!r} * (n - 1) AND {float(f)!r} * (n - 1) < rn)" for f in fractions
    )
    # The inner query names its columns "_g" and "_v" (the annotations above).
    sql = (
        "SELECT ranked.g, ranked.rn, ranked.n, ranked.v FROM ("
        ' SELECT picked."_g" AS g, picked."_v" AS v,'
        ' ROW_NUMBER() OVER (PARTITION BY picked."_g" ORDER BY picked."_v") AS rn,'
        ' COUNT(*) OVER (PARTITION BY picked."_g") AS n'
        f" FROM ({inner_sql}) picked"
        f") ranked WHERE {near}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    by_group = {}
    for g, rn, n, v in fetched:
        by_group.setdefault(g, {})[rn - 1] = (n, float(v))
    result = {}
    for g, ranks in by_group.items():
        n = next(iter(ranks.values()))[0]
        figures = {}
        for f in fractions:
            k = f * (n - 1)
            below = max((i for i in ranks if i <= k), default=None)
            above = min((i for i in ranks if i >= k), default=None)
            if below is None or above is None:
                figures[f] = None
                continue
            low, high = ranks[below][1], ranks[above][1]
            figures[f] = low if above == below else low + (k - below) * (high - low)
        result[g if grouped else None] = figures
    return result
