"""Report.plot_growth() and Report.plot_wait_histogram(): matplotlib over a report's data.

Pure Python over Report.to_dict() and the report's snapshots; matplotlib is imported only when
a plot is drawn. Both take an optional Axes to draw into and return the Axes they drew on.
"""

def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(8, 4.5))
    return ax


def _label(cluster, width=60):
    where = cluster["blocked_at"]["function"] or cluster["state"] or cluster["id"]
    text = f"{cluster['verdict']} {where} ({cluster['blocking_operation'] or cluster['state']})"
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _snapshot_axis(snapshots):
    """x positions: minutes since the first capture when every snapshot has a capture time,
    else the snapshot's position (1, 2, ...)."""
    times = [int(s.get("captured_at_unix_nanos", 0) or 0) for s in snapshots]
    if snapshots and all(t > 0 for t in times):
        return [(t - times[0]) / 60e9 for t in times], "minutes since the first snapshot"
    return list(range(1, len(snapshots) + 1)), "snapshot"


def plot_growth(report, ax=None):
    """One line per cluster that is not EXPECTED (leaks and suspects): its goroutine count in
    each snapshot. x is minutes since the first snapshot when all have capture times, else the
    snapshot number. Returns the Axes."""
    data = report.to_dict()
    ax = _axes(ax)
    xs, xlabel = _snapshot_axis(data.get("snapshots", []))
    drawn = 0
    for cluster in data.get("clusters", []):
        if cluster["verdict"] == "EXPECTED":
            continue
        counts = [int(c) for c in cluster.get("count_per_snapshot", [])]
        if len(counts) != len(xs):  # defensive: one count per snapshot
            xs_here = list(range(1, len(counts) + 1))
        else:
            xs_here = xs
        ax.plot(xs_here, counts, marker="o", label=_label(cluster))
        drawn += 1
    ax.set_xlabel(xlabel)
    ax.set_ylabel("goroutines")
    summary = data.get("summary", {})
    ax.set_title(f"Cluster growth: {int(summary.get('leaks', 0))} leaks, "
                 f"{int(summary.get('suspects', 0))} suspects")
    if drawn:
        ax.legend(fontsize="x-small", loc="upper left")
    else:
        ax.text(0.5, 0.5, "no leaks or suspects", ha="center", va="center",
                transform=ax.transAxes)
    ax.grid(True, alpha=0.3)
    return ax


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

