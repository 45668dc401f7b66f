"""JSON encoding for results, samples and exports: exact and never failing.

datetime/date/time → ISO 8601 strings; Decimal → string (exact, no float rounding); bytes → hex;
NaN/inf → strings; sets/tuples → lists; anything else → `str()`.
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any


def to_jsonable(value: Any) -> Any:
    """Recursively convert `value` into JSON-native types (see module doc)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="json"))
    if hasattr(value, "item"):  # numpy scalars
        try:
            return to_jsonable(value.item())
        except Exception:
            pass
    return str(value)


def dumps(value: Any, **kw: Any) -> str:
    """`json.dumps(to_jsonable(value))`."""
    return json.dumps(to_jsonable(value), ensure_ascii=False, **kw)


def loads(text: str | None) -> Any:
    """`json.loads`, passing None through."""
    return None if text is None else json.loads(text)
