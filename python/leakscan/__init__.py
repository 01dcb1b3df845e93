"""leakscan: find goroutine leaks in Go dumps and profiles, from Python.

The same C++ engine as the ``leakscan`` command (the ``_leakscan`` extension); this file adds
what is simpler in Python: URLs, path-like objects and pandas DataFrames.
"""

import base64 as _base64
import datetime as _datetime
import os as _os
import time as _time
import urllib.error as _urllib_error
import urllib.parse as _urllib_parse
import urllib.request as _urllib_request
import warnings as _warnings

from ._leakscan import FormatError, Report, Snapshot
from . import _leakscan

__all__ = ["FormatError", "LeakscanWarning", "Report", "Snapshot", "analyze", "convert", "diff",
           "load"]


class LeakscanWarning(UserWarning):
    """What the command prints as "leakscan: warning: …": inputs reordered, a file given twice,
    a focus that matched nothing."""


_MAX_BODY = 2 << 30  # --max-input-size's default


class _CarefulRedirects(_urllib_request.HTTPRedirectHandler):
    """As the command's fetches: at most 5 redirects, to http or https only, and a token never
    carried to another host."""

    max_redirections = 5

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not newurl.startswith(("http://", "https://")):
            raise _urllib_error.HTTPError(newurl, code, "redirect to a scheme other than http(s)",
                                          headers, fp)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _urllib_parse.urlsplit(newurl).netloc != _urllib_parse.urlsplit(
                req.full_url).netloc:
            new.headers.pop("Authorization", None)
        return new


_opener = _urllib_request.build_opener(_CarefulRedirects)


def _split_userinfo(url):
    """`url` without "user:password@", and the Basic credentials it carried (curl's way)."""
    parts = _urllib_parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    credentials = _base64.b64encode(_urllib_parse.unquote(userinfo).encode()).decode()
    return _urllib_parse.urlunsplit(parts._replace(netloc=host)), f"Basic {credentials}"


def load(source, *, timeout=30, headers=None):
    """Reads every snapshot in `source` and returns them as a list of Snapshot.

    `source` is a path (str or os.PathLike), bytes-like data, or an http:// or https:// URL
    (fetched with urllib, sending `headers`, a dict such as {"Authorization": "Bearer …"}, and
    read up to 2 GiB). Unreadable content raises FormatError with the reader's message; a path
    that does not exist raises FileNotFoundError.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _leakscan._load_bytes(bytes(source), "<bytes>")
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        name, basic = _split_userinfo(source)
        sent = dict(headers or {})
        if basic and not any(key.lower() == "authorization" for key in sent):
            sent["Authorization"] = basic
        request = _urllib_request.Request(name, headers=sent)
        fetched_at_ns = _time.time_ns()
        with _opener.open(request, timeout=timeout) as response:
            body = response.read(_MAX_BODY + 1)
        if len(body) > _MAX_BODY:
            raise FormatError(f"{name}: response larger than {_MAX_BODY} bytes, the size limit")
        # A dump carries no time of its own: the fetch's, as the command gives a URL input.
        return _leakscan._load_bytes(body, name, fetched_at_ns=fetched_at_ns)
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


def _path_or_none(path):
    return None if path is None else _os.fspath(path)


def _inputs(sources):
    if isinstance(sources, (Snapshot, str, bytes, bytearray)) or hasattr(sources, "__fspath__"):
        sources = [sources]
    return [bytes(s) if isinstance(s, (bytearray, memoryview)) else s for s in sources]


def analyze(snapshots, config=None, baseline=None, min_wait=None, *, codeowners=None, focus=None,
            ignore=None, max_clusters=1000, max_input_size=None, order="time", max_memory=None,
            headers=None):
    """Runs leakscan's five layers over `snapshots`, all of one process: the engine the
    ``leakscan`` command runs, with the same options.

    `snapshots` is a Snapshot, or a list of Snapshots, paths, http:// URLs or bytes.
    `config` (--config) is a leakscan.toml rules file, `baseline` (--baseline) a known-leaks file
    and `codeowners` (--codeowners) a CODEOWNERS file (paths); `min_wait` (--min-wait) replaces
    every wait threshold: seconds, a timedelta, or text like "90s". `focus` and `ignore`
    (--focus, --ignore) are RE2 patterns over frames and creators; `max_clusters`
    (--max-clusters) bounds the clusters listed (0: all); `max_input_size` (--max-input-size)
    bounds each input in bytes and `max_memory` (--max-memory) what reading one may build
    (default: 6 times its size plus 64 MiB). `order` is "time" (the default, as the command
    orders its inputs: by capture time, else by goroutine ids, saying so) or "given" (the list's
    order, warned about when the goroutine ids say it is wrong). `headers` (--header), a dict, goes with
    every fetch of a URL: {"Authorization": "Bearer …"} for an agent with a token. Bad inputs or
    files raise FormatError. The warnings the command prints go to Python's `warnings` as
    LeakscanWarning, and stay in Report.warnings.
    """
    if order not in ("given", "time"):
        raise ValueError(f"order {order!r}: expected 'given' or 'time'")
    report = _leakscan._analyze(
        _inputs(snapshots),
        _path_or_none(config),
        _path_or_none(baseline),
        _nanoseconds(min_wait),
        codeowners=_path_or_none(codeowners),
        focus=focus or "",
        ignore=ignore or "",
        max_clusters=max_clusters,
        max_input_size=max_input_size,
        order_by_time=order == "time",
        max_memory=max_memory,
        headers=[f"{name}: {value}" for name, value in (headers or {}).items()],
    )
    for warning in report.warnings:
        _warnings.warn(warning, LeakscanWarning, stacklevel=2)
    return report


def diff(old, new, **options):
    """How each cluster changed from `old` to `new` (``leakscan diff OLD NEW``): a list of dicts
    (id, before, after, blocking_operation, blocked_at, created_by), largest change first.
    `old` and `new` are what analyze() takes; `options` are analyze()'s."""
    old_inputs = _inputs(old)
    if len(old_inputs) != 1:
        raise ValueError("diff(): `old` is one snapshot, path, URL or bytes")
    options.pop("order", None)
    return analyze(old_inputs + _inputs(new), order="given", **options)._changes()


def convert(sources, output, to="pprof", max_input_size=None):
    """Writes every snapshot of `sources` (paths, URLs) to `output` as a pprof profile
    (to="pprof") or Go text (to="text"), as ``leakscan convert`` does."""
    sources = [_os.fspath(s) for s in _inputs(sources)]
    _leakscan._convert(sources, _os.fspath(output), to, max_input_size)


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


_DEAD_COLUMNS = ("kind", "runtime", "count", "created_by", "file", "line", "alive_at_site",
                 "peak_alive", "peak_snapshot", "stacks_held", "stack_bytes", "g_struct_bytes",
                 "on_global_free_list", "on_processor_free_lists", "on_no_free_list",
                 "global_stack_bytes")


def _report_dead_but_unfreed_frame(self):
    """Layer 2, never a leak: one row per kind and creation site of green threads that ended
    but whose memory is still held (the agent's unjoined fibers; Go's dead g's, read by
    ``leakscan trace``, with the stacks and g structs they keep and the runtime free lists they
    wait on: a GC frees the stacks of those on the global one), and how many of the same site
    are alive."""
    import pandas as pd

    rows = []
    for finding in self.to_dict().get("dead_but_unfreed", []):
        site = finding.get("created_by", {})
        rows.append({
            "kind": finding["kind"], "runtime": finding.get("runtime", ""),
            "count": int(finding.get("count", 0)), "created_by": site.get("function", ""),
            "file": site.get("file", ""), "line": int(site.get("line", 0)),
            **{key: int(finding.get(key, 0)) for key in _DEAD_COLUMNS[6:]},
        })
    return pd.DataFrame(rows, columns=list(_DEAD_COLUMNS))


def _report_to_text(self, color=False, verbose=False):
    """The report as the command prints it (--color always, -v)."""
    return self.render("text", color=color, verbose=verbose)


Report.to_text = _report_to_text
Report.to_markdown = lambda self: self.render("markdown")
Report.to_markdown.__doc__ = "The report as `leakscan --format markdown` prints it."
def _report_to_sarif(self, source_root=None, path_prefixes=None):
    """The report as `leakscan --format sarif` prints it (SARIF 2.1.0). `source_root`
    (--source-root) is the repository's checkout: frame files under it, or under the module its
    go.mod names, become repository paths; `path_prefixes` (--path-prefix) maps a frame file's
    leading path elements to repository paths, tried in order: a dict {FROM: TO} or a list of
    "FROM=TO"."""
    if isinstance(path_prefixes, dict):
        path_prefixes = [f"{old}={new}" for old, new in path_prefixes.items()]
    return self.render("sarif", source_root=_path_or_none(source_root),
                       path_prefixes=list(path_prefixes or []))


Report.to_sarif = _report_to_sarif
Report.to_html = lambda self: self.render("html")
Report.to_html.__doc__ = (
    "The report as `leakscan --format html` writes it: one self-contained page that works offline."
)
Snapshot.to_pandas = _snapshot_to_pandas
Report.to_dict = _report_to_dict
Report.clusters_frame = _report_clusters_frame
Report.dead_but_unfreed_frame = _report_dead_but_unfreed_frame


def _report_plot_growth(self, ax=None):
    """One line per LEAK or SUSPECT cluster: its goroutines in each snapshot, lines with the
    same counts set side by side, the legend beside the plot; bars with one snapshot
    (matplotlib). Returns the Axes."""
    from .plots import plot_growth

    return plot_growth(self, ax)


def _report_plot_growth_panels(self, columns=4, max_panels=24):
    """Small multiples: one Axes per LEAK or SUSPECT cluster (at most `max_panels`, `columns`
    a row), its goroutines in each snapshot, on shared scales; bars with one snapshot
    (matplotlib). Returns the list of Axes."""
    from .plots import plot_growth_panels

    return plot_growth_panels(self, columns=columns, max_panels=max_panels)


def _report_plot_wait_histogram(self, ax=None, bins=30):
    """Histogram of the last snapshot's wait times, in minutes (matplotlib). Returns the Axes."""
    from .plots import plot_wait_histogram

    return plot_wait_histogram(self, ax, bins=bins)


Report.plot_growth = _report_plot_growth
Report.plot_growth_panels = _report_plot_growth_panels
Report.plot_wait_histogram = _report_plot_wait_histogram
