"""Fragment-scoped reruns in AppTest, and the messages a run sends.

AppTest always reruns the whole script, but in the browser a click on a widget inside an
`st.fragment` (and its `run_every` timer) reruns only that fragment. `run(at, fragment_id=...)`
makes the next AppTest run do the same (the ScriptRunner gets the fragment id, as it does from the
browser) and returns every ForwardMsg the run sent, including the `auto_rerun` messages that set
a fragment's timer in the browser, which AppTest's element tree leaves out.
"""

from __future__ import annotations

from unittest.mock import patch

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import local_script_runner as lsr


def run(at: AppTest, fragment_id: str | None = None) -> list[ForwardMsg]:
    """Run `at` once (only fragment `fragment_id` when given) and return the messages it sent."""
    sent: list[ForwardMsg] = []
    rerun_data, parse = lsr.RerunData, lsr.parse_tree_from_messages

    def scoped(**kw):
        return rerun_data(**kw, fragment_id_queue=[fragment_id] if fragment_id else [])

    def keep(msgs):
        sent.extend(msgs)
        return parse(msgs)

    with (
        patch.object(lsr, "RerunData", scoped),
        patch.object(lsr, "parse_tree_from_messages", keep),
    ):
        at.run()
    return sent


def fragment_ids(msgs: list[ForwardMsg]) -> set[str]:
    """Ids of the fragments that drew something in these messages."""
    return {
        m.delta.fragment_id for m in msgs if m.WhichOneof("type") == "delta" and m.delta.fragment_id
    }


def timers(msgs: list[ForwardMsg]) -> dict[str, float]:
    """fragment id → `run_every` seconds of the timers these messages (re)started."""
    return {
        m.auto_rerun.fragment_id: m.auto_rerun.interval
        for m in msgs
        if m.WhichOneof("type") == "auto_rerun"
    }
