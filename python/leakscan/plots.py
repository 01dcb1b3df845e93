"""Report.plot_growth(), Report.plot_growth_panels() and Report.plot_wait_histogram():
matplotlib over a report's data.

Pure Python over Report.to_dict() and the report's snapshots; matplotlib is imported only when
a plot is drawn. Leaks often grow alike (one load drives them all), so identical lines would hide
each other: plot_growth dodges coinciding lines sideways and keeps its legend beside the plot,
plot_growth_panels gives each cluster an Axes of its own, and one snapshot, which has no growth
to draw, is drawn as bars.
"""

import math

_VERDICT_COLORS = {"LEAK": "tab:red", "SUSPECT": "tab:orange"}


def _axes(ax, height=4.5):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(8, height), layout="constrained")
    return ax


def _label(cluster, width=60):
    where = cluster["blocked_at"]["function"] or cluster["state"] or cluster["id"]
    text = f"{cluster['verdict']} {where} ({cluster['blocking_operation'] or cluster['state']})"
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _panel_title(cluster, width=34):
    """Two short lines for a small panel: the function without its package path, and what it
    blocks on."""
    function = cluster["blocked_at"]["function"] or cluster["state"] or cluster["id"]
    function = function.rsplit("/", 1)[-1]
    function = function.split(".", 1)[-1] if "." in function else function
    if len(function) > width:
        function = "…" + function[-(width - 1):]
    return f"{cluster['verdict']} {function}\n{cluster['blocking_operation'] or cluster['state']}"


def _snapshot_axis(snapshots):
    """x positions: minutes since the first capture when every snapshot has a capture time,
    else the snapshot's position (1, 2, ...)."""
    times = [int(s.get("captured_at_unix_nanos", 0) or 0) for s in snapshots]
    if snapshots and all(t > 0 for t in times):
        return [(t - times[0]) / 60e9 for t in times], "minutes since the first snapshot"
    return list(range(1, len(snapshots) + 1)), "snapshot"


def _findings(data):
    """The clusters that are not EXPECTED (leaks and suspects), in report order."""
    return [c for c in data.get("clusters", []) if c["verdict"] != "EXPECTED"]


def _counts(cluster):
    return [int(c) for c in cluster.get("count_per_snapshot", [])]


def _title(data, what):
    summary = data.get("summary", {})
    return (f"{what}: {int(summary.get('leaks', 0))} leaks, "
            f"{int(summary.get('suspects', 0))} suspects")


def _no_findings(ax):
    ax.text(0.5, 0.5, "no leaks or suspects", ha="center", va="center", transform=ax.transAxes)


def _dodges(series, xs):
    """A sideways offset per series: 0 for a series of counts no other has, else spread evenly
    over a quarter of the smallest gap between snapshots so identical lines sit side by side."""
    gap = min((b - a for a, b in zip(xs, xs[1:]) if b > a), default=1.0)
    groups = {}
    for index, counts in enumerate(series):
        groups.setdefault(tuple(counts), []).append(index)
    offsets = [0.0] * len(series)
    for members in groups.values():
        if len(members) < 2:
            continue
        step = gap * 0.25 / (len(members) - 1)
        for rank, index in enumerate(members):
            offsets[index] = (rank - (len(members) - 1) / 2) * step
    return offsets


def _plot_bars(data, clusters, ax):
    """One snapshot: a bar per cluster, worst on top, labelled on the axis instead of a legend."""
    if ax is None:
        ax = _axes(None, height=max(3.0, 0.35 * len(clusters) + 1.5))
    counts = [_counts(c)[-1] if _counts(c) else int(c.get("count", 0)) for c in clusters]
    positions = list(range(len(clusters)))
    ax.barh(positions, counts, color=[_VERDICT_COLORS[c["verdict"]] for c in clusters])
    ax.set_yticks(positions, [_label(c) for c in clusters], fontsize="x-small")
    ax.invert_yaxis()
    ax.set_xlim(left=0)
    ax.set_xlabel("goroutines (one snapshot: no growth to draw)")
    ax.set_title(_title(data, "One snapshot"))
    if not clusters:
        _no_findings(ax)
    ax.grid(True, axis="x", alpha=0.3)
    return ax


def plot_growth(report, ax=None):
    """Each cluster that is not EXPECTED (leaks and suspects): its goroutine count in each
    snapshot, one line per cluster. x is minutes since the first snapshot when all have capture
    times, else the snapshot number; lines with the same counts are dodged sideways (their y
    values stay exact) and the legend sits right of the plot. With one snapshot, one bar per
    cluster instead. Returns the Axes."""
    data = report.to_dict()
    clusters = _findings(data)
    snapshots = data.get("snapshots", [])
    if len(snapshots) < 2:
        return _plot_bars(data, clusters, ax)
    ax = _axes(ax)
    xs, xlabel = _snapshot_axis(snapshots)
    series = [_counts(c) for c in clusters]
    for cluster, counts, offset in zip(clusters, series, _dodges(series, xs)):
        ax.plot([x + offset for x in xs[: len(counts)]], counts, marker="o",
                label=_label(cluster))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("goroutines")
    ax.set_title(_title(data, "Cluster growth"))
    if clusters:
        ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.02, 1.0),
                  borderaxespad=0)
    else:
        _no_findings(ax)
    ax.grid(True, alpha=0.3)
    return ax


def plot_growth_panels(report, columns=4, max_panels=24):
    """Small multiples: one Axes per cluster that is not EXPECTED (at most `max_panels`), its
    goroutine count in each snapshot, all on the same scales so sizes compare. With one
    snapshot, the bars of plot_growth in one Axes. Returns the list of Axes drawn on."""
    import matplotlib.pyplot as plt

    data = report.to_dict()
    clusters = _findings(data)
    snapshots = data.get("snapshots", [])
    if len(snapshots) < 2 or not clusters:
        return [plot_growth(report)]
    shown = clusters[:max_panels]
    columns = max(1, min(columns, len(shown)))
    rows = math.ceil(len(shown) / columns)
    figure, grid = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.4 * rows + 0.6),
                                sharex=True, sharey=True, squeeze=False, layout="constrained")
    xs, xlabel = _snapshot_axis(snapshots)
    axes = []
    for cell, cluster in zip(grid.flat, shown):
        counts = _counts(cluster)
        cell.plot(xs[: len(counts)], counts, marker="o", color=_VERDICT_COLORS[cluster["verdict"]])
        cell.set_title(_panel_title(cluster), fontsize="small")
        cell.grid(True, alpha=0.3)
        axes.append(cell)
    for cell in list(grid.flat)[len(shown):]:
        cell.set_visible(False)
    more = f" ({len(clusters) - len(shown)} more not shown)" if len(clusters) > len(shown) else ""
    figure.suptitle(_title(data, "Cluster growth") + more)
    figure.supxlabel(xlabel)
    figure.supylabel("goroutines")
    return axes


def plot_wait_histogram(report, ax=None, bins=30):
    """How long the goroutines of the last snapshot have been waiting (debug=2 dumps say;
    profiles do not), each goroutine counted once. Go prints whole minutes, so the values are
    lower bounds. Returns the Axes; with no wait times it draws a note instead of bars."""
    ax = _axes(ax)
    snapshots = report.snapshots
    waits = []
    if snapshots:
        frame = snapshots[-1].to_pandas()
        known = frame[frame["wait_seconds"].notna()]
        waits = known["wait_seconds"].repeat(known["count"]).to_numpy() / 60.0
    if len(waits):
        ax.hist(waits, bins=bins, color="tab:blue", edgecolor="white")
        thresholds = sorted({c["threshold_seconds"] for c in report.to_dict()["clusters"]
                             if c.get("threshold_seconds")})
        for threshold in thresholds[:3]:
            ax.axvline(threshold / 60.0, color="tab:red", linestyle="--", linewidth=1)
        if thresholds:
            ax.plot([], [], color="tab:red", linestyle="--", label="wait thresholds")
            ax.legend(fontsize="small")
    else:
        ax.text(0.5, 0.5, "no wait times in the last snapshot\n(profiles and fresh goroutines "
                "do not report one)", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("waiting for (minutes, at least)")
    ax.set_ylabel("goroutines")
    ax.set_title(f"Wait times: {len(waits)} of "
                 f"{snapshots[-1].goroutine_count if snapshots else 0} goroutines")
    return ax
