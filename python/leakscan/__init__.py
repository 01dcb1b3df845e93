"""leakscan: find goroutine leaks in Go dumps and profiles, from Python.

The same C++ engine as the ``leakscan`` command (the ``_leakscan`` extension); this file adds
what is simpler in Python: URLs, path-like objects and pandas DataFrames.
"""

import datetime as _datetime
import os as _os
import urllib.request as _urllib_request

from ._leakscan import FormatError, Report, Snapshot
from . import _leakscan

__all__ = ["FormatError", "Report", "Snapshot", "analyze", "load"]


def load(source, *, timeout=30):
    """Reads every snapshot in `source` and returns them as a list of Snapshot.

    `source` is a path (str or os.PathLike), bytes-like data, or an http:// or https:// URL
    (fetched with urllib). Unreadable content raises FormatError with the reader's message; a
    path that does not exist raises FileNotFoundError.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _leakscan._load_bytes(bytes(source), "<bytes>")
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        with _urllib_request.urlopen(source, timeout=timeout) as response:
            return _leakscan._load_bytes(response.read(), source)
    path = _os.fspath(source)
    if isinstance(path, bytes):
        path = _os.fsdecode(path)
    if not _os.path.exists(path):
        raise FileNotFoundError(2, "No such file or directory", path)
    return _leakscan._load_path(path)


def _nanoseconds(min_wait):
    if min_wait is None:
        return None
    if isinstance(min_wait, _datetime.timedelta):
        return (min_wait.days * 86400 + min_wait.seconds) * 10**9 + min_wait.microseconds * 1000
    if isinstance(min_wait, str):
        nanos = _leakscan._parse_duration(min_wait)
        if nanos is None:
            raise ValueError(f"min_wait {min_wait!r}: expected a duration like 90s, 5m or 1h")
        return nanos
    if isinstance(min_wait, (int, float)):
        return int(min_wait * 10**9)
    raise TypeError("min_wait: expected seconds, a datetime.timedelta or text like '5m'")


def analyze(snapshots, config=None, baseline=None, min_wait=None):
    """Runs leakscan's five layers over `snapshots` (one process, in the order given).

    `config` is a leakscan.toml rules file and `baseline` a known-leaks file (paths);
    `min_wait` replaces every wait threshold: seconds, a timedelta, or text like "90s".
    Bad config or baseline files raise FormatError.
    """
    if isinstance(snapshots, Snapshot):
        snapshots = [snapshots]
    return _leakscan._analyze(
        list(snapshots),
        None if config is None else _os.fspath(config),
        None if baseline is None else _os.fspath(baseline),
        _nanoseconds(min_wait),
    )


def _snapshot_to_pandas(self):
    """One row per goroutine (or per aggregated sample of a debug=0/1 profile)."""
    import pandas as pd

    columns = self._columns()
    columns["state"] = pd.Categorical(columns["state"])
    return pd.DataFrame(columns)


def _report_to_dict(self):
    """The JSON report (to_json()) as Python objects."""
    import json

    return json.loads(self.to_json())


def _report_clusters_frame(self):
    """One row per cluster, in report order (leaks first)."""
    import pandas as pd

    return pd.DataFrame(self._cluster_columns())


Snapshot.to_pandas = _snapshot_to_pandas
Report.to_dict = _report_to_dict
Report.clusters_frame = _report_clusters_frame


def _report_plot_growth(self, ax=None):
    """One line per LEAK or SUSPECT cluster: its goroutines in each snapshot (matplotlib).
    Returns the Axes."""
    from .plots import plot_growth

    return plot_growth(self, ax)


def _report_plot_wait_histogram(self, ax=None, bins=30):
    """Histogram of the last snapshot's wait times, in minutes (matplotlib). Returns the Axes."""
    from .plots import plot_wait_histogram

    return plot_wait_histogram(self, ax, bins=bins)


Report.plot_growth = _report_plot_growth
Report.plot_wait_histogram = _report_plot_wait_histogram
