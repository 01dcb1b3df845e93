"""Fleet-scale analysis: many services' snapshots analysed on a dask.distributed cluster.

    from dask.distributed import Client
    import leakscan.fleet

    client = Client("tcp://scheduler:8786")      # or LocalCluster(...)
    frame = leakscan.fleet.analyze({
        "orders": ["http://orders-1:6060/debug/pprof/goroutine?debug=2", ...],
        "billing": ["/shared/dumps/billing-1.txt", "/shared/dumps/billing-2.txt"],
    }, client)

Each service's snapshots are read and analysed by one task on a worker (reading and analysis
stay next to each other; C++ objects never cross processes: a task takes paths or URLs and
returns the report as plain JSON-like dicts). The reports are then merged by cluster id, the
stable hash of a cluster's fingerprint, so the same leak in many services or processes is one
row. With client=None the same work runs here, one service after the other.
"""

import math as _math
import os as _os

__all__ = ["analyze", "analyze_service", "merge", "COLUMNS"]

#: The columns of analyze()'s DataFrame, in order.
COLUMNS = [
    "id",                 # cluster id (hash of the fingerprint; equal across services)
    "verdict",            # worst verdict in any service: LEAK > SUSPECT > EXPECTED
    "count",              # goroutines in each service's last snapshot, summed
    "services",           # number of services with this cluster
    "leaking_services",   # number of services where it is a LEAK
    "service_names",      # the services with this cluster, in the order given (a list)
    "growth_per_minute",  # the largest growth of any service
    "wait_max_seconds",   # the longest wait of any service (NaN if none said)
    "blocking_operation", # as in Report.clusters_frame(), from the first service that has it
    "blocked_at",
    "created_by",
]

_RANK = {"LEAK": 0, "SUSPECT": 1, "EXPECTED": 2}


def _service_sources(sources):
    """[(name, [source, ...]), ...] from a mapping, or a list of sources or lists of them."""
    if isinstance(sources, dict):
        items = [(str(name), value) for name, value in sources.items()]
    else:
        if isinstance(sources, (str, bytes, _os.PathLike)):
            sources = [sources]
        items = []
        seen = {}
        for value in sources:
            first = value if isinstance(value, (str, _os.PathLike)) else list(value)[0]
            name = _os.path.basename(_os.fspath(first).rstrip("/")) or _os.fspath(first)
            seen[name] = seen.get(name, 0) + 1
            items.append((name if seen[name] == 1 else f"{name}#{seen[name]}", value))
    out = []
    for name, value in items:
        paths = [value] if isinstance(value, (str, _os.PathLike)) else list(value)
        if not paths:
            raise ValueError(f"fleet.analyze(): service {name!r} has no snapshots")
        out.append((name, [_os.fspath(p) for p in paths]))
    return out


def analyze_service(name, paths, config=None, baseline=None, min_wait=None):
    """Loads and analyses one service's snapshots (paths or URLs, in order). Returns
    {"service": name, "report": Report.to_dict()} -- plain data, picklable. Runs on a worker."""
    import leakscan

    snapshots = [s for path in paths for s in leakscan.load(path)]
    report = leakscan.analyze(snapshots, config=config, baseline=baseline, min_wait=min_wait)
    return {"service": name, "report": report.to_dict()}


def merge(results):
    """Merges analyze_service() results by cluster id into the DataFrame analyze() returns."""
    import pandas as pd

    rows = {}
    for result in results:
        service = result["service"]
        for cluster in result["report"].get("clusters", []):
            wait = cluster.get("wait")
            wait_max = float(wait["max_seconds"]) if wait and "max_seconds" in wait else _math.nan
            row = rows.get(cluster["id"])
            if row is None:
                row = rows[cluster["id"]] = {
                    "id": cluster["id"], "verdict": cluster["verdict"], "count": 0,
                    "services": 0, "leaking_services": 0, "service_names": [],
                    "growth_per_minute": -_math.inf, "wait_max_seconds": _math.nan,
                    "blocking_operation": cluster.get("blocking_operation", ""),
                    "blocked_at": cluster.get("blocked_at", {}).get("function", ""),
                    "created_by": cluster.get("created_by", {}).get("function", ""),
                }
            if _RANK.get(cluster["verdict"], 3) < _RANK.get(row["verdict"], 3):
                row["verdict"] = cluster["verdict"]
            row["count"] += int(cluster.get("count", 0))
            row["services"] += 1
            row["leaking_services"] += cluster["verdict"] == "LEAK"
            row["service_names"].append(service)
            row["growth_per_minute"] = max(row["growth_per_minute"],
                                           float(cluster.get("growth_per_minute", 0.0)))
            if not _math.isnan(wait_max):
                row["wait_max_seconds"] = (wait_max if _math.isnan(row["wait_max_seconds"])
                                           else max(row["wait_max_seconds"], wait_max))
    ordered = sorted(rows.values(),
                     key=lambda r: (_RANK.get(r["verdict"], 3), -r["count"], r["id"]))
    frame = pd.DataFrame(ordered, columns=COLUMNS)
    return frame.astype({"count": "int64", "services": "int64", "leaking_services": "int64",
                         "growth_per_minute": "float64", "wait_max_seconds": "float64"})


def analyze(sources, client=None, *, config=None, baseline=None, min_wait=None):
    """Analyses many services' snapshots, on a dask.distributed `client` if given, and merges
    the clusters across services by id. Returns a DataFrame with the columns in COLUMNS, leaks
    first, then by count.

    `sources`: a dict {service name: path/URL or list of them in capture order}, or a list
    whose items are a path/URL (one snapshot) or a list of them (one service's snapshots);
    unnamed services are called after their first file (``name#2``... when repeated). Paths
    must be readable by the workers (a shared file system) -- URLs are fetched by the workers.
    `config`, `baseline` and `min_wait` are passed to leakscan.analyze for every service.
    """
    services = _service_sources(sources)
    options = {"config": None if config is None else _os.fspath(config),
               "baseline": None if baseline is None else _os.fspath(baseline),
               "min_wait": min_wait}
    if client is None:
        results = [analyze_service(name, paths, **options) for name, paths in services]
    else:
        futures = [client.submit(analyze_service, name, paths, **options, pure=False)
                   for name, paths in services]
        results = client.gather(futures)
    return merge(results)
