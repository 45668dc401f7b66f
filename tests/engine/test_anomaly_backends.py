"""Learned alert bands judge from the job store's history on both executor backends: on Dask
the app process reads the history and ships it with the attempt (workers never open the store)."""

from __future__ import annotations

import pytest

from tests.history.test_anomaly import _run, _ws

BACKENDS = ("threads", "dask")


def test_band_decides_on_every_backend(tmp_path, make_engine):
    ws = _ws(tmp_path)
    eng = make_engine(workspace=ws)
    rc = "row_count(orders)"
    for k, n in enumerate([100, 104, 98, 101, 103, 99]):
        a = _run(eng, ws, n)[rc]["observed"]["anomaly"]
        assert a["state"] == ("learning" if k < 5 else "normal")
    # history 100 104 98 101 103 99: median 100.5, MAD 2.0, band 100.5 +- 2 * 1.4826 * 2
    got = _run(eng, ws, 130)[rc]
    a = got["observed"]["anomaly"]
    assert got["status"] == "failed" and a["state"] == "anomaly"
    assert (a["median"], a["mad"], a["runs"]) == (100.5, 2.0, 6)
    assert a["upper"] == pytest.approx(106.4304)
