"""leakscan.fleet.analyze on a Dask LocalCluster against the sequential computation."""

import math
import os
import pathlib

import pandas as pd
import pytest

import leakscan
import leakscan.fleet

ROOT = pathlib.Path(os.environ.get("LEAKSCAN_ROOT", pathlib.Path(__file__).resolve().parents[2]))
PROFILES = ROOT / "samples" / "profiles"
CORPUS = ROOT / "tests" / "data" / "corpus"


def fleet_sources():
    """20 services of 1 to 3 snapshots each: the samples, repeated."""
    kinds = [
        [PROFILES / f"leakyservice-{i}.pb.gz" for i in (1, 2, 3)],
        [PROFILES / f"leakyservice-{i}.txt" for i in (1, 2, 3)],
        PROFILES / "zoo-debug2.txt",
        [PROFILES / "zoo-debug1.txt"],
        PROFILES / "zoo-debug0.pb.gz",
        CORPUS / "gostackparse-waitsince.txt",
    ]
    return {f"svc{n:02d}": kinds[n % len(kinds)] for n in range(20)}


def test_sequential_merge_sums_services():
    sources = {"a": [PROFILES / f"leakyservice-{i}.pb.gz" for i in (1, 2, 3)],
               "b": [PROFILES / f"leakyservice-{i}.pb.gz" for i in (1, 2, 3)]}
    frame = leakscan.fleet.analyze(sources)
    assert list(frame.columns) == leakscan.fleet.COLUMNS
    single = leakscan.analyze(
        [s for p in sources["a"] for s in leakscan.load(p)]).clusters_frame().set_index("id")
    assert len(frame) == len(single)
    for row in frame.itertuples():
        assert row.count == 2 * single.loc[row.id, "count"]
        assert row.services == 2
        assert row.service_names == ["a", "b"]
        assert row.verdict == single.loc[row.id, "verdict"]
        assert row.growth_per_minute == single.loc[row.id, "growth_per_minute"]
    assert (frame["verdict"] == "LEAK").sum() == 8
    assert frame["leaking_services"].max() == 2
    assert list(frame["verdict"][:8]) == ["LEAK"] * 8


def test_sources_forms():
    path = str(PROFILES / "zoo-debug2.txt")
    by_list = leakscan.fleet.analyze([path, [path]])
    assert by_list["service_names"][0] == ["zoo-debug2.txt", "zoo-debug2.txt#2"]
    assert leakscan.fleet.analyze(path)["services"].max() == 1
    with pytest.raises(ValueError):
        leakscan.fleet.analyze({"empty": []})


def test_merge_takes_the_worst_verdict_and_longest_wait():
    def result(service, verdict, count, wait):
        cluster = {"id": "x", "verdict": verdict, "count": str(count), "growth_per_minute": 1.0,
                   "blocking_operation": "select", "blocked_at": {"function": "main.f"},
                   "created_by": {"function": ""}}
        if wait is not None:
            cluster["wait"] = {"max_seconds": wait}
        return {"service": service, "report": {"clusters": [cluster]}}

    frame = leakscan.fleet.merge([result("a", "EXPECTED", 1, None), result("b", "LEAK", 2, 60.0),
                                  result("c", "SUSPECT", 3, 120.0)])
    (row,) = frame.itertuples()
    assert (row.verdict, row.count, row.services, row.leaking_services) == ("LEAK", 6, 3, 1)
    assert row.wait_max_seconds == 120.0
    assert math.isnan(leakscan.fleet.merge([result("a", "LEAK", 1, None)])["wait_max_seconds"][0])


def test_dask_local_cluster_equals_sequential():
    import distributed
    sources = fleet_sources()
    sequential = leakscan.fleet.analyze(sources)
    # The 8 leaks of the leaky service, each found in the 4 services given the profiles and the
    # 4 given the text dumps: a cluster's id names its blocking site, the same whatever the
    # format. The zoo's goroutines on a nil channel and in an empty select are leaks too, from
    # its debug=2 dump (3 services): nothing can ever wake them.
    leaks = sequential[sequential["verdict"] == "LEAK"]
    service_leaks = leaks[leaks["created_by"] != "main.startN"]
    assert len(service_leaks) == 8
    assert (service_leaks["services"] == 8).all()
    assert (service_leaks["count"] == 8 * 15).all()
    zoo_leaks = leaks[leaks["created_by"] == "main.startN"]
    assert sorted(zoo_leaks["blocked_at"]) == ["main.blockNilChan", "main.blockSelectNoCases"]
    assert (zoo_leaks["leaking_services"] == 3).all()

    package_dir = str(pathlib.Path(leakscan.__file__).resolve().parents[1])
    pythonpath = os.pathsep.join(p for p in (package_dir, os.environ.get("PYTHONPATH")) if p)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        env={"PYTHONPATH": pythonpath})
    try:
        with distributed.Client(cluster, timeout="60s") as client:
            parallel = leakscan.fleet.analyze(sources, client)
            # Both workers took part.
            assert len(client.scheduler_info()["workers"]) == 2
    finally:
        cluster.close(timeout=30)
    pd.testing.assert_frame_equal(parallel, sequential)
