"""Type families: the one vocabulary that makes column types comparable across databases.

`FAMILIES` lists them; `generic_family(raw_type)` maps a type name every database spells alike
(BIGINT, VARCHAR(20), TIMESTAMP WITH TIME ZONE, ...) to its family, or None when the name is
not a common spelling. Each Dialect's `type_family` starts from it and adds its own rules
(MySQL `tinyint(1)`, SQLite affinity, Snowflake `NUMBER(p,0)`).
"""

from __future__ import annotations

import re

FAMILIES = (
    "integer",
    "decimal",
    "float",
    "string",
    "boolean",
    "date",
    "timestamp",
    "timestamptz",
    "time",
    "binary",
    "interval",
    "json",
    "other",
)
TIME_FAMILIES = ("date", "timestamp", "timestamptz")
NUMERIC_FAMILIES = ("integer", "decimal", "float", "boolean")

_PATTERNS: list[tuple[str, str]] = [
    (
        r"^(tiny|small|medium|big|hug|u?)?int(eger)?\d*(\(\d+\))?( unsigned)?$|^(u?(tiny|small|big|huge)?int)$|^(int2|int4|int8|serial|bigserial|smallserial|long|short|byte|utinyint|usmallint|uinteger|ubigint|uhugeint)$",
        "integer",
    ),
    (r"^tinyint\(1\)$|^bool(ean)?$|^bit$", "boolean"),
    (r"^(decimal|numeric|number|dec|fixed|money)(\(.*\))?( unsigned)?$", "decimal"),
    (r"^(float\d*|double( precision)?|real|float4|float8)(\(.*\))?( unsigned)?$", "float"),
    (
        r"^(var)?char(acter)?( varying)?(\(\d+\))?$|^(tiny|medium|long)?text$|^string$|^varchar2?$|^n(var)?char(\(\d+\))?$|^clob$|^uuid$|^enum\(.*\)$|^set\(.*\)$|^name$|^citext$|^bpchar(\(\d+\))?$",
        "string",
    ),
    (r"^date$", "date"),
    (
        r"^(timestamp|datetime)(\(\d\))?( without time zone)?$|^timestamp_(s|ms|ns)$|^datetime2$",
        "timestamp",
    ),
    (
        r"^(timestamp(\(\d\))? with time zone|timestamptz|timestamp_tz|datetimeoffset)$",
        "timestamptz",
    ),
    (r"^time(\(\d\))?( with(out)? time zone)?$|^timetz$", "time"),
    (r"^(blob|bytea|binary|varbinary|(tiny|medium|long)blob)(\(\d+\))?$", "binary"),
    (r"^interval.*$", "interval"),
    (r"^jsonb?$", "json"),
]
_COMPILED = [(re.compile(p), fam) for p, fam in _PATTERNS]
_SCALE = re.compile(r"\(\s*\d+\s*,\s*(\d+)\s*\)")


def clean_type(raw_type: str | None) -> str:
    """A type name lower-cased with single spaces: `Timestamp  With Time Zone` → `timestamp with time zone`."""
    return " ".join(str(raw_type or "").strip().lower().split())


def generic_family(raw_type: str | None) -> str | None:
    """The family of a commonly spelled type name, None when no common rule knows it."""
    t = clean_type(raw_type)
    for rx, fam in _COMPILED:
        if rx.match(t):
            return fam
    return None


def decimal_scale(raw_type: str) -> int | None:
    """The scale of `DECIMAL(p, s)` (None when the type has none)."""
    m = _SCALE.search(str(raw_type))
    return int(m.group(1)) if m else None
