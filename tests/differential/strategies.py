"""Hypothesis strategies (bounded) for the differential harness: a pair of small tables.

`table_pairs()` draws an `Example`: key columns (one or two, int or text), 1–4 value columns
each with a logical kind and a declared type per side (the same type, or a documented
cross-type pairing: int vs decimal, number vs text, DATE vs TIMESTAMP, TIMESTAMPTZ vs text with
an offset, naive vs instant, boolean vs int), source rows, and target rows derived from them by
keeping, dropping, changing, duplicating and adding rows. Values come from hand-picked hard
cases (below) plus small random ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import strategies as st

from tests.differential.tables import NumText, TzText

# Text that is exactly a marker, separator or escape of the product's own checksum SQL
# (Dialect.row_checksum_text / frame: NULL is written `-`, a value `<length>:<text>`, frames are
# concatenated with nothing between them; SQLite's bo_frame the same in Python), text that looks
# like NULL in some database or driver, and text whose order differs between collations.
MARKERS = ["-", ":", "0:", "1:", "1:-", "1:a", "2:ab", "1:a1:b", "-1:a", "--", "0:-", "3:1:a"]
NULL_LOOKING = ["NULL", "null", "None", "\\N", "nan", "NaN", "", " "]
COLLATION = ["a", "B", "_", "Z", "b", "A", "é", "e", "E", "ä", "z", "ß", "ss", "Å", "aa"]
TRICKY = [
    "a ",
    " a",
    "a\u0301",  # a + combining acute
    "\u00e1",  # á precomposed
    "😀",
    "e\u0301😀 ",
    "'",
    '"',
    "\\",
    "%",
    "a\nb",
    "\t",
    "ａ",  # fullwidth a
]
STRINGS = MARKERS + NULL_LOOKING + COLLATION + TRICKY

INTS = [0, 1, -1, 2, 7, 42, -42, 1000, 2**31, -(2**31) - 1, 2**53 + 1, -(2**62), 2**62]
DECIMALS = [
    "0",
    "-0",
    "0.000001",
    "-0.000001",
    "1.5",
    "1.500000",
    "0.1",
    "-2.25",
    "3",
    "12345678901234.123456",
    "-98765432109876.5",
    "99999999999999999999.999999",
    "123456789012345678901234567890.5",
]
# decimals of up to 10 decimals (DECIMAL(38,10) / NUMERIC(30,12) columns; segment checksums
# once rounded them to 10^-6), 10^-9 and 10^-10 apart; at most 15 significant digits (SQLite
# holds them as doubles)
FINE_DECIMALS = [
    "0",
    "-0",
    "1.000000001",
    "1.000000002",
    "1.0000000010",
    "1",
    "0.000000001",
    "-0.000000001",
    "0.0000000001",
    "12345.6789012345",
    "12345.6789012346",
    "-98765.4321098765",
    "99999.9999999999",
]
FLOATS = [0.0, -0.0, 1.5, 0.1, -2.25, 3.0, 123456.789, 1e15, 0.001, -7.0, 2.0**40]
# doubles apart by less than 10^-6 (segment checksums once rounded them to 10^-6), and tiny
FLOATS += [0.1 + 0.2, 0.3, 1.0000001, 1.0, 1.0000000000000002, 1e-300, 5e-324]
FLOAT_SPECIALS = [float("inf"), float("-inf"), float("nan")]  # MySQL: NULL, SQLite: NaN NULL
# values an INTEGER / NUMERIC / untyped SQLite column may hold whatever its declared type
# (type affinity): REALs with a fraction, integers; numbers as text come from `numtext`
MIXNUM = [4.5, 19.99, 0.49, 100.5, -2.5, 4.0, 0.5, 3, 20, 0, -1, 100]
DATES = [dt.date(2024, 3, 1), dt.date(1970, 1, 1), dt.date(2000, 2, 29), dt.date(1999, 12, 31)]
NAIVE = [
    dt.datetime(2024, 3, 1, 12, 0),
    dt.datetime(2024, 3, 1, 13, 0),
    dt.datetime(2024, 3, 1, 0, 0),
    dt.datetime(2024, 3, 1, 12, 0, 0, 123456),
    dt.datetime(1999, 12, 31, 23, 59, 59, 999999),
    dt.datetime(2000, 2, 29, 0, 0),
    dt.datetime(1969, 12, 31, 23, 59, 59),
]
OFFSETS = [
    dt.timedelta(0),
    dt.timedelta(hours=1),
    dt.timedelta(hours=-5),
    dt.timedelta(hours=5, minutes=30),
]
INSTANTS_UTC = [
    dt.datetime(2024, 3, 1, 12, 0),
    dt.datetime(2024, 3, 1, 0, 0),
    dt.datetime(2024, 3, 1, 12, 0, 0, 500000),
    dt.datetime(2024, 10, 27, 1, 30),  # a DST change in Europe
    dt.datetime(1999, 12, 31, 23, 30),
    dt.datetime(2037, 1, 1, 0, 0, 1),
]

# (logical kind, source type key, target type key)
COLUMN_PAIRS = [
    ("int", "int", "int"),
    ("int", "int", "dec"),
    ("int", "dec", "int"),
    ("int", "int", "float"),
    ("numtext", "int", "text"),
    ("numtext", "text", "int"),
    ("numtext", "dec", "text"),
    ("numtext", "text", "dec"),
    ("dec", "dec", "dec"),
    ("finedec", "dec10", "dec10"),
    ("finedec", "dec10", "dec12"),
    ("finedec", "dec12", "dec10"),
    ("finedec", "dec", "dec10"),
    ("int", "int", "dec10"),
    ("int", "dec10", "int"),
    ("dec", "dec", "float"),
    ("dec", "float", "dec"),
    ("float", "float", "float"),
    ("text", "text", "text"),
    ("date", "date", "date"),
    ("date", "date", "ts"),
    ("date", "ts", "date"),
    ("ts", "ts", "ts"),
    ("tstz", "tstz", "tstz"),
    ("tstz", "tstz", "tstext"),
    ("tstz", "tstext", "tstz"),
    ("tstz", "tstext", "tstext"),
    ("tstz", "ts", "tstz"),
    ("tstz", "tstz", "ts"),
    ("bool", "bool", "bool"),
    ("bool", "bool", "int"),
    # SQLite columns whose values are stored in another class than declared (REAL 4.5 or
    # TEXT '4.5' in INTEGER / NUMERIC / untyped), beside a number column elsewhere
    ("mixnum", "intaff", "int"),
    ("mixnum", "int", "intaff"),
    ("mixnum", "numaff", "int"),
    ("mixnum", "untyped", "int"),
    ("mixnum", "int", "untyped"),
    ("mixnum", "untyped", "float"),
]
KEY_KINDS = [("int", "int", "int"), ("text", "text", "text")]


@dataclass
class Example:
    """A generated pair of tables. `columns` = [(name, logical kind, source type, target type)],
    keys first; rows are tuples of logical values in that order."""

    columns: list[tuple[str, str, str, str]]
    nkeys: int
    source: list[tuple]
    target: list[tuple]
    tolerance: float | None = None
    null_keys: str = "fail"
    segment_rows: int = 2
    notes: list[str] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        return [c[0] for c in self.columns[: self.nkeys]]

    @property
    def values(self) -> list[str]:
        return [c[0] for c in self.columns[self.nkeys :]]


def strings() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(STRINGS),
        st.text(alphabet=st.sampled_from("aAbB_ -:1\\é😀\u0301"), max_size=4),
    )


def _num_texts(d: Decimal) -> list[str]:
    """Ways a database's text column may spell the number `d`."""
    plain = format(d, "f")
    out = [plain]
    if "." in plain:
        out.append(plain + "0")
        stripped = plain.rstrip("0").rstrip(".")
        out.append(stripped or "0")
    else:
        out.append(plain + ".0")
    return out


@st.composite
def numtext(draw, integral: bool) -> NumText:
    pool = [Decimal(x) for x in DECIMALS if len(x) < 25]
    if integral:
        pool = [d for d in pool if d == d.to_integral_value()] + [Decimal(i) for i in INTS[:10]]
    d = draw(st.sampled_from(pool) | st.integers(-50, 50).map(Decimal))
    return NumText(d, draw(st.sampled_from(_num_texts(d))))


@st.composite
def tztext(draw) -> TzText:
    utc = draw(st.sampled_from(INSTANTS_UTC))
    off = draw(st.sampled_from(OFFSETS))
    local = (utc + off).replace(tzinfo=dt.timezone(off))
    sep = draw(st.sampled_from([" ", "T"]))
    frac = f".{local.microsecond:06d}" if local.microsecond else ""
    zone = "Z" if off == dt.timedelta(0) and draw(st.booleans()) else local.strftime("%z")
    if zone != "Z":
        zone = f"{zone[:3]}:{zone[3:]}"
    return TzText(local, f"{local:%Y-%m-%d}{sep}{local:%H:%M:%S}{frac}{zone}")


def _unique_keys(rows: list[tuple], nkeys: int) -> list[tuple]:
    seen, out = set(), []
    for r in rows:
        k = r[:nkeys]
        if None in k or k not in seen:
            seen.add(k)
            out.append(r)
    return out


def values(kind: str, src_type: str, tgt_type: str, side_type: str | None = None):
    """Non-NULL values of a logical kind (for a column declared src_type / tgt_type)."""
    if kind == "int":
        return st.sampled_from(INTS) | st.integers(-100, 100)
    if kind == "hugeless_int":
        return st.sampled_from([i for i in INTS if abs(i) < 2**53]) | st.integers(-100, 100)
    if kind == "dec":
        ds = [Decimal(x) for x in DECIMALS]
        if "float" in (src_type, tgt_type):
            ds = [d for d in ds if abs(d) < Decimal(10) ** 15]
        return st.sampled_from(ds)
    if kind == "finedec":
        ds = [Decimal(x) for x in FINE_DECIMALS]
        if "dec" in (src_type, tgt_type):  # a DECIMAL(38,6) side holds 6 decimals
            ds = [d for d in ds if d == round(d, 6)] + [Decimal("1.000001"), Decimal("-2.5")]
        return st.sampled_from(ds)
    if kind == "float":
        return st.sampled_from(FLOATS) | st.sampled_from(FLOAT_SPECIALS)
    if kind == "float_finite":
        return st.sampled_from(FLOATS)
    if kind == "mixnum":
        return st.sampled_from(MIXNUM) | numtext(integral=False)
    if kind == "numtext":
        types = (side_type,) if side_type else (src_type, tgt_type)
        return numtext(integral="int" in types)
    if kind == "text":
        return strings()
    if kind == "date":
        return st.sampled_from(DATES)
    if kind == "ts":
        return st.sampled_from(NAIVE)
    if kind == "tstz":
        return tztext()
    if kind == "bool":
        return st.booleans()
    raise AssertionError(kind)


def nullable(s, p_null: int = 5):
    """`s`, or None about 1 time in `p_null`."""
    return st.one_of(*([s] * (p_null - 1)), st.none())


def _changed(kind: str, v, tolerance: float | None):
    """A different value of the same kind (a small float step when a tolerance is set)."""
    if kind == "float" and v is not None:
        steps = [1.0, -0.5, 1e-7, 2.0**-40]  # and steps below 10^-6
        if tolerance:
            steps += [tolerance / 10, 10 * tolerance]
        return st.sampled_from(steps).map(lambda s: v + s)
    if kind == "finedec" and v is not None:  # steps below 10^-6 (10^-9, 10^-10)
        steps = [Decimal("1e-9"), Decimal("-1e-9"), Decimal("1e-10")]
        return st.sampled_from(steps).map(lambda s: v + s)
    return st.none() if v is not None else st.just(None)


# Features a run can leave out (while a bug they find is open: BUGS.md, test_regressions.py)
FEATURES = frozenset({"numtext", "duplicates", "huge_ints", "mixnum", "float_specials"})


@st.composite
def table_pairs(draw, without: frozenset[str] = frozenset()) -> Example:
    """An Example (see module doc); `without` leaves out features of FEATURES."""
    nkeys = draw(st.sampled_from([1, 1, 2]))
    keys = [draw(st.sampled_from(KEY_KINDS)) for _ in range(nkeys)]
    nvals = draw(st.integers(1, 4))
    pairs = [p for p in COLUMN_PAIRS if p[0] not in without]
    vals = [draw(st.sampled_from(pairs)) for _ in range(nvals)]
    columns = [(f"k{i}", *k) for i, k in enumerate(keys)] + [
        (f"v{i}_{v[0]}", *v) for i, v in enumerate(vals)
    ]
    tolerance = draw(st.sampled_from([None, None, 0.01]))

    def _kind(kind):
        if kind == "float" and "float_specials" in without:
            return "float_finite"
        return "hugeless_int" if kind == "int" and "huge_ints" in without else kind

    def key_part(kind):
        return nullable(values(_kind(kind), kind, kind), p_null=8)

    def row():
        return st.tuples(
            *(key_part(c[1]) for c in columns[:nkeys]),
            *(nullable(values(_kind(c[1]), c[2], c[3])) for c in columns[nkeys:]),
        )

    source = draw(st.lists(row(), max_size=10))
    target: list[tuple] = []
    for r in source:
        actions = ["same"] * 5 + ["drop", "change"]
        if "duplicates" not in without:
            actions += ["dup", "dup_change"]
        action = draw(st.sampled_from(actions))
        if action == "drop":
            continue
        if action in ("change", "dup_change"):
            new = list(r)
            for i in range(nkeys, len(columns)):
                if draw(st.booleans()):
                    _, kind, s_t, t_t = columns[i]
                    fresh = nullable(values(_kind(kind), s_t, t_t, side_type=t_t))
                    new[i] = draw(_changed(kind, r[i], tolerance) | fresh)
            if action == "dup_change":
                target.append(r)
            target.append(tuple(new))
            continue
        target.append(r)
        if action == "dup":
            target.append(r)
    target += draw(st.lists(row(), max_size=3))
    target = draw(st.permutations(target))
    if "duplicates" in without:  # one row per complete key on each side
        source, target = _unique_keys(source, nkeys), _unique_keys(target, nkeys)
    if nkeys == 1 and draw(st.booleans()):  # a NULL key on both sides, alike
        extra = (None, *source[0][1:]) if source else None
        if extra is not None:
            source = [*source, extra]
            target = [*target, extra]
    return Example(
        columns=columns,
        nkeys=nkeys,
        source=source,
        target=target,
        tolerance=tolerance,
        null_keys=draw(st.sampled_from(["fail", "ignore"])),
        segment_rows=draw(st.sampled_from([1, 2, 3, 100])),
    )
