"""`python -m batchcore catalog list | show | diff` on a real job store."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import yaml

from batchcore.cli import main

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _snapshots(make_engine, tmp_path) -> tuple[list[str], object]:
    db = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE sales (id INTEGER PRIMARY KEY, amount DECIMAL(10,2) NOT NULL)")
    con.close()
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "connections.yaml").write_text(
        yaml.safe_dump({"connections": {"wh": {"type": "duckdb", "path": str(db)}}})
    )
    eng = make_engine(workspace=ws)
    ids = []
    for step in range(2):
        if step == 1:
            from batchcore.connections import open_connection

            c = open_connection(eng.workspace().connection("wh"))
            c.execute("ALTER TABLE sales ADD COLUMN region VARCHAR")
            c.close()
        job = eng.wait(
            eng.submit(
                "bulk_metadata_extraction", {"job_name": "wh", "items": [{"connection_name": "wh"}]}
            ).job_id,
            timeout=60,
        )
        ids.append(job.operations[0].result["snapshot_id"])
    return ids, eng


def test_catalog_commands(make_engine, tmp_path, capsys):
    (a, b), eng = _snapshots(make_engine, tmp_path)
    eng.close()
    jd = ["--jobs-dir", str(tmp_path / "jobs")]
    assert main(["catalog", "list", *jd]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["snapshot_id", "created_at", "(UTC)"]
    assert [line.split()[0] for line in out[1:]] == [b, a]
    assert main(["catalog", "list", "--format", "json", "--connection", "nope", *jd]) == 0
    assert json.loads(capsys.readouterr().out) == []

    assert main(["catalog", "show", b, *jd]) == 0
    text = capsys.readouterr().out
    assert (
        "table sales (3 columns" in text
        and "    id " in text
        and " PK" in text
        and "region" in text
    )
    assert main(["catalog", "show", "@wh~1", "--format", "json", *jd]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["snapshot_id"] == a and [
        c["name"] for c in shown["catalog"]["tables"][0]["columns"]
    ] == ["id", "amount"]

    assert main(["catalog", "diff", a, b, *jd]) == 1  # differences found
    text = capsys.readouterr().out
    assert "0 table(s) added, 0 removed, 1 changed; columns: 1 added" in text
    assert "~ table sales\n    + column region VARCHAR\n" in text
    assert main(["catalog", "diff", b, "@wh", *jd]) == 0  # identical
    assert "identical" in capsys.readouterr().out
    out_file = tmp_path / "drift.csv"
    assert (
        main(["catalog", "diff", "@wh~1", "@wh", "--format", "csv", "-o", str(out_file), *jd]) == 1
    )
    assert list(csv.reader(out_file.open())) == [
        ["change", "object", "table", "column", "attribute", "from", "to"],
        ["added", "column", "sales", "region", "", "", "VARCHAR"],
    ]
    assert main(["catalog", "diff", a, b, "--format", "json", *jd]) == 1
    d = json.loads(capsys.readouterr().out)
    assert d["summary"]["columns_added"] == 1 and d["from"]["snapshot_id"] == a

    assert main(["catalog", "show", "snap-0000", *jd]) == 2
    assert "error: snapshot 'snap-0000' not found" in capsys.readouterr().err
    assert main(["catalog", "list", "--jobs-dir", str(tmp_path / "empty")]) == 2
    assert "error: no job store at" in capsys.readouterr().err


def test_a_store_held_by_a_running_engine_gives_exit_code_2(make_engine, tmp_path):
    _, eng = _snapshots(make_engine, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "BATCH_JOBS_DIR": str(tmp_path / "jobs")}
    p = subprocess.run(
        [sys.executable, "-m", "batchcore", "catalog", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert p.returncode == 2
    assert "is locked by process" in p.stderr and "--url" in p.stderr
    eng.close()
