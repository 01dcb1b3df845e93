"""The Python bindings against the corpus, the sample profiles and the leakscan command.

Run by ctest (test python_bindings), which sets PYTHONPATH to the built package, LEAKSCAN_CLI to
the leakscan command and LEAKSCAN_ROOT to the repository.
"""

import json
import math
import os
import pathlib
import subprocess

import numpy as np
import pandas as pd
import pytest

import leakscan

ROOT = pathlib.Path(os.environ.get("LEAKSCAN_ROOT", pathlib.Path(__file__).resolve().parents[2]))
CORPUS = ROOT / "tests" / "data" / "corpus"
PROFILES = ROOT / "samples" / "profiles"
LEAKYSERVICE = [PROFILES / f"leakyservice-{i}.pb.gz" for i in (1, 2, 3)]


def expected_counts():
    rows = {}
    for line in (CORPUS / "expected.tsv").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, low, high = line.split("\t")[:3]
        rows[name] = (int(low), int(high))
    return rows


EXPECTED = expected_counts()


def test_expected_covers_the_corpus():
    files = {p.name for p in CORPUS.iterdir() if p.name not in ("expected.tsv", "culprits.tsv", "README.md")}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_counts(name):
    low, high = EXPECTED[name]
    snapshots = leakscan.load(CORPUS / name)
    assert snapshots
    total = sum(s.goroutine_count for s in snapshots)
    assert low <= total <= high
    for snapshot in snapshots:
        assert snapshot.format in ("pprof", "debug=1", "debug=2")
        assert isinstance(snapshot.warnings, list)
        assert snapshot.source == str(CORPUS / name)


COLUMNS = {
    "id": np.uint64,
    "count": np.int64,
    "status": object,
    "wait_seconds": np.float64,
    "locked_to_thread": np.bool_,
    "top_function": object,
    "blocked_at": object,
    "created_by": object,
    "creator_id": np.uint64,
    "labels": object,
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_to_pandas(name):
    for snapshot in leakscan.load(CORPUS / name):
        frame = snapshot.to_pandas()
        assert list(frame.columns) == [
            "id", "count", "state", "status", "wait_seconds", "locked_to_thread",
            "top_function", "blocked_at", "created_by", "creator_id", "labels",
        ]
        for column, dtype in COLUMNS.items():
            assert frame[column].dtype == dtype, column
        assert isinstance(frame["state"].dtype, pd.CategoricalDtype)
        assert frame["count"].sum() == snapshot.goroutine_count
        if snapshot.aggregated:
            assert (frame["id"] == 0).all()
            assert frame["wait_seconds"].isna().all()


def test_to_pandas_values():
    (snapshot,) = leakscan.load(CORPUS / "gostackparse-waitsince.txt")
    frame = snapshot.to_pandas()
    assert (frame["count"] == 1).all()
    assert frame["id"].is_unique
    assert frame["wait_seconds"].notna().any()
    assert (frame["wait_seconds"].dropna() >= 60).all()  # Go prints whole minutes
    (snapshot,) = leakscan.load(CORPUS / "gostackparse-lockedm.txt")
    assert snapshot.to_pandas()["locked_to_thread"].any()
    (snapshot,) = leakscan.load(CORPUS / "gostackparse-go121_createdby.txt")
    frame = snapshot.to_pandas()
    assert (frame["created_by"] != "").any()
    assert (frame["creator_id"] > 0).any()


def test_blocked_at_is_the_programs_own_code():
    (snapshot,) = leakscan.load(PROFILES / "leakyservice-3.txt")
    frame = snapshot.to_pandas()
    blocked = frame.loc[frame["blocked_at"] != "", "blocked_at"]
    assert len(blocked) > 0
    assert blocked.str.startswith("main.").all()
    assert (frame["top_function"] != "").all()


def test_labels_column():
    (snapshot,) = leakscan.load(LEAKYSERVICE[2])
    labels = snapshot.to_pandas()["labels"]
    assert labels.str.contains("=").any()


def test_captured_at():
    (snapshot,) = leakscan.load(LEAKYSERVICE[0])
    assert snapshot.captured_at is not None
    assert snapshot.captured_at.tzinfo is not None
    (snapshot,) = leakscan.load(CORPUS / "gostackparse-cgo.txt")
    assert snapshot.captured_at is None


@pytest.mark.parametrize("name", ["cortex-debug0-2020.pb.gz", "gostackparse-ancestors.txt",
                                  "nats-server-2391-mqtt-debug1-go1.17.txt"])
def test_bytes_equal_path(name):
    from_path = leakscan.load(CORPUS / name)
    from_bytes = leakscan.load((CORPUS / name).read_bytes())
    from_str = leakscan.load(str(CORPUS / name))
    assert len(from_path) == len(from_bytes) == len(from_str)
    for a, b in zip(from_path, from_bytes):
        assert a.goroutine_count == b.goroutine_count
        assert a.format == b.format
        assert a.reason == b.reason
        assert a.captured_at == b.captured_at
        assert b.source == "<bytes>"
        pd.testing.assert_frame_equal(a.to_pandas(), b.to_pandas())


def test_format_error_is_a_value_error():
    assert issubclass(leakscan.FormatError, ValueError)


@pytest.mark.parametrize("data", [b"", b"\x00\x01\x02garbage\xff", b"hello world\n" * 10])
def test_format_error_on_bad_bytes(data):
    with pytest.raises(leakscan.FormatError) as raised:
        leakscan.load(data)
    message = str(raised.value)
    assert message and "\n" not in message


def test_format_error_on_a_bad_file(tmp_path):
    path = tmp_path / "broken.txt"
    path.write_bytes(b"not a goroutine dump\n")
    with pytest.raises(leakscan.FormatError, match="broken.txt"):
        leakscan.load(path)


def test_missing_file_is_file_not_found(tmp_path):
    # Documented choice: a path that does not exist raises FileNotFoundError, not FormatError.
    missing = tmp_path / "missing.pb.gz"
    with pytest.raises(FileNotFoundError, match="missing.pb.gz"):
        leakscan.load(missing)


def test_truncated_inputs_never_crash():
    data = LEAKYSERVICE[0].read_bytes()
    for size in (1, 2, 10, 100, len(data) // 2, len(data) - 1):
        try:
            leakscan.load(data[:size])
        except leakscan.FormatError:
            pass


class _Serving:
    """A local HTTP server on 127.0.0.1 whose GET answers are `answer(handler)`: (status,
    body). Go's goroutineleak profile gets 404, as from a Go before 1.26."""

    def __init__(self, answer):
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                status, body = (404, b"") if "goroutineleak" in self.path else answer(self)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_url(tmp_path):
    body = LEAKYSERVICE[1].read_bytes()
    with _Serving(lambda handler: (200, body)) as serving:
        url = f"http://127.0.0.1:{serving.port}/debug/pprof/goroutine"
        (snapshot,) = leakscan.load(url)
        assert snapshot.source == url
        assert snapshot.goroutine_count == leakscan.load(LEAKYSERVICE[1])[0].goroutine_count


def test_url_load_is_captured_when_fetched(tmp_path):
    import datetime

    body = (PROFILES / "leakyservice-1.txt").read_bytes()  # a dump: no time of its own
    with _Serving(lambda handler: (200, body)) as serving:
        before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(milliseconds=1)
        (snapshot,) = leakscan.load(f"http://127.0.0.1:{serving.port}/debug/pprof/goroutine")
        after = datetime.datetime.now(datetime.timezone.utc)
    assert before <= snapshot.captured_at <= after
    assert snapshot.captured_at_origin == "time fetched"
    (from_file,) = leakscan.load(PROFILES / "leakyservice-1.txt")
    assert from_file.captured_at is None and from_file.captured_at_origin is None


def test_url_with_a_token_and_a_password(tmp_path):
    body = LEAKYSERVICE[1].read_bytes()

    def answer(handler):
        ok = handler.headers.get("Authorization") == "Bearer t0ken"
        return (200, body) if ok else (401, b"")

    with _Serving(answer) as serving:
        url = f"http://user:s3cret@127.0.0.1:{serving.port}/debug/pprof/goroutine"
        (snapshot,) = leakscan.load(url, headers={"Authorization": "Bearer t0ken"})
        assert "s3cret" not in snapshot.source
        assert snapshot.goroutine_count == leakscan.load(LEAKYSERVICE[1])[0].goroutine_count
        report = leakscan.analyze([url], headers={"Authorization": "Bearer t0ken"})
        assert f'"source": "http://127.0.0.1:{serving.port}/debug' in report.to_json()
        assert "s3cret" not in report.to_json()
        with pytest.raises(leakscan.FormatError, match="HTTP status 401"):
            leakscan.analyze([url])


def test_a_goroutine_printed_ten_thousand_times_is_refused(tmp_path):
    one = (b"goroutine 1 [chan receive, 10 minutes]:\nmain.leak(...)\n\t/app/main.go:10 +0x1d\n"
           b"created by main.main in goroutine 1\n\t/app/main.go:3 +0x1\n\n")
    path = tmp_path / "repeated.txt"
    path.write_bytes(one * 10000)
    with pytest.raises(leakscan.FormatError, match="more than 4096 dumps in one input"):
        leakscan.load(path)


def leakyservice_snapshots():
    return [s for path in LEAKYSERVICE for s in leakscan.load(path)]


def test_analyze_finds_the_eight_leaks():
    report = leakscan.analyze(leakyservice_snapshots())
    assert report.leaks == 8
    clusters = report.to_dict()["clusters"]
    assert sum(1 for c in clusters if c["verdict"] == "LEAK") == 8


def test_to_json_equals_the_cli():
    cli = os.environ.get("LEAKSCAN_CLI", str(ROOT / "build" / "cli" / "leakscan"))
    assert os.path.exists(cli), f"{cli}: the leakscan command is not built"
    printed = subprocess.run([cli, *map(str, LEAKYSERVICE), "--format", "json"],
                             check=True, capture_output=True, text=True).stdout
    report = leakscan.analyze(leakyservice_snapshots())
    assert json.loads(report.to_json()) == json.loads(printed)
    assert report.to_dict() == json.loads(printed)


def test_clusters_frame():
    report = leakscan.analyze(leakyservice_snapshots())
    frame = report.clusters_frame()
    clusters = report.to_dict()["clusters"]
    assert len(frame) == len(clusters)
    assert list(frame.columns) == [
        "id", "verdict", "count", "share", "blocking_operation", "blocked_at", "created_by",
        "growth_per_minute", "wait_max_seconds", "reasons",
    ]
    assert list(frame["id"]) == [c["id"] for c in clusters]
    assert (frame["verdict"] == "LEAK").sum() == 8
    assert frame["count"].dtype == np.int64
    assert frame["share"].dtype == np.float64
    assert frame["wait_max_seconds"].dtype == np.float64
    leaks = frame[frame["verdict"] == "LEAK"]
    assert (leaks["growth_per_minute"] > 0).all()
    assert (leaks["reasons"] != "").all()
    assert leaks["blocked_at"].str.startswith("main.").all()


def test_report_outlives_its_snapshots():
    import gc

    report = leakscan.analyze(leakyservice_snapshots())
    gc.collect()
    # protobuf's JSON mapping writes int64 as strings.
    assert int(report.to_dict()["summary"]["leaks"]) == 8
    assert len(report.snapshots) == 3


def test_snapshots_are_reusable_after_analyze():
    snapshots = leakyservice_snapshots()
    first = leakscan.analyze(snapshots).to_json()
    second = leakscan.analyze(snapshots).to_json()
    assert first == second
    assert snapshots[-1].to_pandas()["count"].sum() == snapshots[-1].goroutine_count


def test_analyze_options(tmp_path):
    snapshots = leakyservice_snapshots()
    assert leakscan.analyze(snapshots, min_wait="1h").leaks >= 0
    assert leakscan.analyze(snapshots[-1:], min_wait=0).leaks >= 0
    with pytest.raises(ValueError):
        leakscan.analyze(snapshots, min_wait="soon")
    with pytest.raises(leakscan.FormatError):
        leakscan.analyze(snapshots, config=tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[accepted\n")
    with pytest.raises(leakscan.FormatError, match="bad.toml"):
        leakscan.analyze(snapshots, baseline=bad)
    with pytest.raises(TypeError):
        leakscan.analyze([42])
    with pytest.raises(ValueError):
        leakscan.analyze([])


def test_baseline_accepts_a_leak(tmp_path):
    snapshots = leakyservice_snapshots()
    first = leakscan.analyze(snapshots).to_dict()["clusters"][0]
    baseline = tmp_path / "known-leaks.toml"
    baseline.write_text(
        f'[[accepted]]\ncluster = "{first["id"]}"\nreason = "known"\nexpires = 2999-01-01\n')
    report = leakscan.analyze(snapshots, baseline=baseline).to_dict()
    assert int(report["summary"]["baselined"]) == 1  # int64: a string in JSON
    (accepted,) = [c for c in report["clusters"] if c["id"] == first["id"]]
    assert accepted["baseline_reason"] == "known"


def test_dead_but_unfreed_frame_of_a_traced_spike(tmp_path):
    """samples/go/spike (Go 1.26) made 2,000 goroutines that all ended; `leakscan trace` reads
    their dead g's, which the frame gives apart from the clusters: the spike's site, the
    stacks still held, a g struct each, and none of its goroutines alive."""
    cli = pathlib.Path(os.environ.get("LEAKSCAN_CLI", str(ROOT / "build" / "cli" / "leakscan")))
    spike = subprocess.Popen([str(cli.parents[1] / "tests" / "go-bin" / "go1.26" / "spike"),
                              "-n", "2000"], stdout=subprocess.PIPE, text=True)
    try:
        assert spike.stdout.readline().startswith("SPIKE 2000 ")
        subprocess.run([str(cli), "trace", "--pid", str(spike.pid), "--every", "1s",
                        "--duration", "1s", "--out", str(tmp_path)],
                       check=True, capture_output=True, timeout=120)
    finally:
        spike.kill()
        spike.wait()
    report = leakscan.analyze(sorted(str(p) for p in tmp_path.glob("goroutines-*.pb.gz")))
    frame = report.dead_but_unfreed_frame()
    assert list(frame.columns) == ["kind", "runtime", "count", "created_by", "file", "line",
                                   "alive_at_site", "peak_alive", "peak_snapshot", "stacks_held",
                                   "stack_bytes", "g_struct_bytes", "on_global_free_list",
                                   "on_processor_free_lists", "on_no_free_list",
                                   "global_stack_bytes"]
    spiked = frame[frame["created_by"] == "main.spike"]
    assert len(spiked) == 1
    row = spiked.iloc[0]
    assert row["kind"] == "exited_not_released" and row["runtime"] == "go"
    assert 1900 <= row["count"] <= 2000
    assert row["alive_at_site"] == 0
    assert row["stacks_held"] > 0 and row["stack_bytes"] >= 2048 * row["stacks_held"]
    assert row["g_struct_bytes"] == 456 * row["count"]  # sizeof(runtime.g) in Go 1.26
    # Every dead g on one of the runtime's free lists: most overflowed a P's own (64 at most) to
    # the global one, whose stacks the next GC frees.
    on_lists = row["on_global_free_list"] + row["on_processor_free_lists"] + row["on_no_free_list"]
    assert on_lists == row["count"]
    assert row["on_global_free_list"] >= row["count"] - 64 * os.cpu_count() - 100
    assert 0 < row["global_stack_bytes"] <= row["stack_bytes"]
    assert report.leaks == 0
    # A report without any gives the columns and no row.
    assert leakscan.analyze(leakyservice_snapshots()).dead_but_unfreed_frame().empty
