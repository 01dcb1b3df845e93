#!/usr/bin/python3
"""DataFrames from a big goroutine dump: the Python bindings against the command's JSON.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_to_pandas_bench.py [DUMP]
        [--keep-dump PATH] [--runs N] [--bigleak-n N]

Without DUMP, builds the Go samples (scripts/build-go.sh), starts bigleak (100,000 goroutines in
chan send, 10,000 in WaitGroup.Wait: 110,000 and a few) and captures its debug=2 dump, as
bench/convert_vs_panicparse.sh does; --keep-dump saves it for later runs.

Each way is measured in a fresh interpreter (pandas and leakscan already imported): wall time is
the best of --runs; memory is the interpreter's peak RSS during the first run above its RSS
before it (Linux: VmHWM after resetting it through /proc/self/clear_refs); the command's own
peak RSS is measured by /usr/bin/time (ru_maxrss of a child forked by Python would include
the interpreter's pages).

  to_pandas        leakscan.load(DUMP)[0].to_pandas(): one row per goroutine
  clusters_frame   leakscan.analyze(leakscan.load(DUMP)).clusters_frame(): one row per cluster
  cli+read_json    leakscan DUMP --format json, then pandas.read_json of its "clusters"
                   (what one does without the bindings; one row per cluster)
  goroutines.json  pandas.read_json of the to_pandas() rows saved as JSON records beforehand
                   (not timed): what per-goroutine rows cost through JSON, which the command
                   does not print
"""

import argparse
import json
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]


def capture(bigleak_n, keep):
    work = pathlib.Path(tempfile.mkdtemp(prefix="leakscan-bench-"))
    process = None
    try:
        subprocess.run([str(ROOT / "scripts" / "build-go.sh"), str(work / "bin")], check=True,
                       stdout=subprocess.DEVNULL)
        out = open(work / "bigleak.out", "w+")
        process = subprocess.Popen([str(work / "bin" / "bigleak"), "-n", str(bigleak_n)],
                                   stdout=out, stderr=subprocess.DEVNULL)
        address = None
        for _ in range(600):
            out.seek(0)
            for line in out.read().splitlines():
                if line.startswith("LISTENING "):
                    address = line.split()[1]
            if address or process.poll() is not None:
                break
            time.sleep(0.1)
        if not address:
            sys.exit("python_to_pandas_bench.py: bigleak did not start")
        dump = pathlib.Path(keep) if keep else work / "bigleak-debug2.txt"
        with urllib.request.urlopen(f"http://{address}/debug/pprof/goroutine?debug=2",
                                    timeout=300) as response:
            dump.write_bytes(response.read())
        return dump, work
    finally:
        if process is not None:
            process.kill()
            process.wait()


TIME = "/usr/bin/time"


def status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")


def measure_one(method, dump, cli, runs):
    """In a fresh interpreter: prints {"wall": s, "rss_growth_kb": kb, "rows": n, ...}."""
    import pandas as pd

    import leakscan

    best = None
    rows = None
    child_kb = 0
    growth = None
    for _ in range(runs):
        if growth is None:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # resets VmHWM to the current RSS
            base_kb = status_kb("VmRSS")
        start = time.perf_counter()
        if method == "to_pandas":
            frame = leakscan.load(dump)[0].to_pandas()
        elif method == "clusters_frame":
            frame = leakscan.analyze(leakscan.load(dump)).clusters_frame()
        elif method == "cli+read_json":
            command = [cli, dump, "--format", "json"]
            if os.access(TIME, os.X_OK):
                command = [TIME, "-f", "%M", "-o", dump + ".time", *command]
            text = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            if os.access(TIME, os.X_OK):
                with open(dump + ".time") as f:
                    child_kb = max(child_kb, int(f.read().split()[-1]))
                os.remove(dump + ".time")
            import io

            clusters = json.dumps(json.loads(text)["clusters"])
            frame = pd.read_json(io.StringIO(clusters), orient="records")
        elif method == "goroutines.json":
            frame = pd.read_json(dump + ".goroutines.json", orient="records")
        else:
            raise SystemExit(f"unknown method {method}")
        wall = time.perf_counter() - start
        if growth is None:
            growth = status_kb("VmHWM") - base_kb
        best = wall if best is None else min(best, wall)
        rows = len(frame)
        del frame
    if not child_kb:
        child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"wall": best, "rss_growth_kb": growth, "child_rss_kb": child_kb,
                      "rows": rows}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dump", nargs="?", help="a debug=2 dump (default: capture bigleak's)")
    parser.add_argument("--keep-dump", help="save the captured dump here")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bigleak-n", type=int, default=100000)
    parser.add_argument("--cli", default=os.environ.get(
        "LEAKSCAN", str(ROOT / "build" / "cli" / "leakscan")))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one:
        measure_one(args.one, args.dump, args.cli, args.runs)
        return

    work = None
    dump = args.dump
    try:
        if dump is None:
            path, work = capture(args.bigleak_n, args.keep_dump)
            dump = str(path)
        size = os.path.getsize(dump)
        with open(dump, "rb") as f:
            goroutines = sum(1 for line in f if line.startswith(b"goroutine "))
        print(f"dump: {dump}: {size / 2**20:.1f} MiB, {goroutines} goroutines; best of "
              f"{args.runs} runs, each way in a fresh /usr/bin/python3")
        import leakscan

        records = dump + ".goroutines.json"
        leakscan.load(dump)[0].to_pandas().astype({"state": str}).to_json(records,
                                                                          orient="records")
        results = {}
        for method in ("to_pandas", "clusters_frame", "cli+read_json", "goroutines.json"):
            out = subprocess.run([sys.executable, __file__, dump, "--one", method,
                                  "--runs", str(args.runs), "--cli", args.cli],
                                 check=True, capture_output=True, text=True).stdout
            results[method] = json.loads(out.strip().splitlines()[-1])
        print(f"{'way':<16} {'rows':>8} {'wall s':>8} {'RSS growth MiB':>15} "
              f"{'CLI RSS MiB':>12} {'to_pandas faster':>17}")
        reference = results["to_pandas"]["wall"]
        for method, r in results.items():
            child = f"{r['child_rss_kb'] / 1024:.1f}" if method == "cli+read_json" else "-"
            ratio = "" if method == "to_pandas" else f"{r['wall'] / reference:.1f}x"
            print(f"{method:<16} {r['rows']:>8} {r['wall']:>8.3f} "
                  f"{r['rss_growth_kb'] / 1024:>15.1f} {child:>12} {ratio:>17}")
    finally:
        if dump is not None and os.path.exists(dump + ".goroutines.json"):
            os.remove(dump + ".goroutines.json")
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
