"""Job Details: checks split by `partition_by` rolled up per check (total failed rows, the worst
partition, one row per partition)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from batchcore.engine import Engine
from ui_components import fmt


def partitions_section(eng: Engine, job_id: str) -> None:
    """Draw the rollup; nothing when the job has no partitioned check."""
    checks = eng.partitioned_checks(job_id)
    if not checks:
        return
    st.subheader("Partitioned checks")
    for c in checks:
        title = f"{c.pipeline_id} · {c.check_name or f'check {c.check_index + 1}'}"
        with st.container(border=True):
            st.markdown(f"**{title}** — {c.count} partitions")
            m = st.columns(3)
            m[0].metric("Failed rows (all partitions)", fmt.count(c.failed_rows))
            m[1].metric("Rows checked", fmt.count(c.total_rows))
            m[2].metric(
                "Worst partition",
                "—" if c.worst is None else f"#{c.worst.index + 1}",
                help=None if c.worst is None else f"{c.worst.failed_rows:,} failed rows",
            )
            st.dataframe(
                pd.DataFrame(
                    {
                        "Partition": [p.index + 1 for p in c.partitions],
                        "Rows": [p.predicate or "" for p in c.partitions],
                        "Status": [p.status or p.operation_status for p in c.partitions],
                        "Failed rows": [p.failed_rows for p in c.partitions],
                        "Rows checked": [p.total_rows for p in c.partitions],
                        "Operation": [p.operation_id for p in c.partitions],
                    }
                ),
                hide_index=True,
            )
