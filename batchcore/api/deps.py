"""How routes reach the engine: an `EngineSource` given to the app factory.

The default source is `batchcore.engine.get_engine` (the process singleton shared with the
Streamlit pages); tests pass an Engine they built (`create_api(engine=...)`).
"""

from __future__ import annotations

from collections.abc import Callable

from batchcore.engine import Engine

EngineSource = Callable[[], Engine]


def engine_source(engine: Engine | EngineSource | None) -> EngineSource:
    """Normalise the factory argument: an Engine, a zero-argument callable, or None (singleton)."""
    if engine is None:
        from batchcore.engine import get_engine

        return get_engine
    if isinstance(engine, Engine):
        return lambda: engine
    return engine


def engine_identity(engine: Engine) -> str:
    """`<pid>-<object id>`: the same value for every caller that holds this engine instance.
    The UI can show `engine_identity(get_engine())` to prove it shares the API's engine."""
    return engine.instance_id
