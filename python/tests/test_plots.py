"""Report.plot_growth() and Report.plot_wait_histogram() rendered to PNG with matplotlib's Agg."""

import os
import pathlib

import pytest

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import leakscan  # noqa: E402

ROOT = pathlib.Path(os.environ.get("LEAKSCAN_ROOT", pathlib.Path(__file__).resolve().parents[2]))
PROFILES = ROOT / "samples" / "profiles"
CORPUS = ROOT / "tests" / "data" / "corpus"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def leakyservice_report(suffix="pb.gz"):
    return leakscan.analyze(
        [s for i in (1, 2, 3) for s in leakscan.load(PROFILES / f"leakyservice-{i}.{suffix}")])


def save(ax, path):
    ax.figure.savefig(path)
    plt.close(ax.figure)
    data = path.read_bytes()
    assert len(data) > len(PNG_MAGIC)
    assert data.startswith(PNG_MAGIC)
    return data


def findings(report):
    return [c for c in report.to_dict()["clusters"] if c["verdict"] != "EXPECTED"]


def counts(cluster):
    return [int(c) for c in cluster["count_per_snapshot"]]


def test_plot_growth_png(tmp_path):
    report = leakyservice_report()
    ax = report.plot_growth()
    assert isinstance(ax, matplotlib.axes.Axes)
    expected = findings(report)
    assert len(expected) == 8
    assert len(ax.get_lines()) == len(expected)
    for line, cluster in zip(ax.get_lines(), expected):
        assert list(line.get_ydata()) == counts(cluster)
    # Capture times are known: x is minutes since the first snapshot.
    assert "minutes" in ax.get_xlabel()
    save(ax, tmp_path / "growth.png")


def test_plot_growth_sets_coinciding_lines_apart():
    report = leakyservice_report()
    series = [tuple(counts(c)) for c in findings(report)]
    assert len(set(series)) < len(series), "the sample's leaks grow alike: lines would coincide"
    ax = report.plot_growth()
    drawn = [(tuple(line.get_xdata()), tuple(line.get_ydata())) for line in ax.get_lines()]
    assert len(set(drawn)) == len(drawn), "no two lines drawn on top of each other"
    # Counts stay exact; only x moves, by less than half the smallest gap between snapshots.
    snapshot_xs = [xs for xs, ys in drawn if ys == series[0]]
    first = [xs[0] for xs in snapshot_xs]
    gap = min(b[1] - b[0] for b in snapshot_xs)
    assert max(first) - min(first) < gap / 2
    assert [tuple(line.get_ydata()) for line in ax.get_lines()] == series


def test_plot_growth_legend_beside_the_plot():
    ax = leakyservice_report().plot_growth()
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    plot = ax.get_window_extent()
    assert legend.x0 >= plot.x1, "the legend starts right of the plot, covering none of it"
    plt.close(ax.figure)


def test_plot_growth_panels_one_axes_per_series(tmp_path):
    report = leakyservice_report()
    expected = findings(report)
    axes = report.plot_growth_panels()
    assert len(axes) == len(expected) == 8
    assert len({id(ax) for ax in axes}) == 8
    for ax, cluster in zip(axes, expected):
        (line,) = ax.get_lines()
        assert list(line.get_ydata()) == counts(cluster)
        function = cluster["blocked_at"]["function"]  # main.(*OrderService).fetchOrder.func1
        assert function.split(".", 1)[1] in ax.get_title()
    assert len({ax.get_title() for ax in axes}) == 8
    # Shared scales: the same y range in every panel.
    assert len({ax.get_ylim() for ax in axes}) == 1
    save(axes[0], tmp_path / "panels.png")
    small = report.plot_growth_panels(columns=2, max_panels=3)
    assert len(small) == 3
    assert any("5 more not shown" in text.get_text() for text in small[0].figure.texts)
    plt.close(small[0].figure)


def test_one_snapshot_is_drawn_as_bars(tmp_path):
    report = leakscan.analyze(leakscan.load(PROFILES / "leakyservice-3.txt"))
    expected = findings(report)
    assert expected
    for ax in (report.plot_growth(), report.plot_growth_panels()[0]):
        assert not ax.get_lines()
        assert ax.get_legend() is None
        bars = ax.patches
        assert [bar.get_width() for bar in bars] == [counts(c)[-1] for c in expected]
        assert ax.get_xlim()[0] == 0
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels[0].startswith(expected[0]["verdict"])
        save(ax, tmp_path / "one.png")


def test_plot_growth_into_given_axes(tmp_path):
    figure, (left, right) = plt.subplots(1, 2)
    report = leakyservice_report("txt")
    assert report.plot_growth(ax=left) is left
    assert report.plot_wait_histogram(ax=right) is right
    assert len(left.get_lines()) == report.leaks + report.suspects
    figure.savefig(tmp_path / "both.png")
    plt.close(figure)
    assert (tmp_path / "both.png").read_bytes().startswith(PNG_MAGIC)


def test_plot_growth_without_leaks(tmp_path):
    report = leakscan.analyze(leakscan.load(PROFILES / "zoo-debug1.txt"))
    ax = report.plot_growth()
    assert len(ax.get_lines()) == report.leaks + report.suspects
    save(ax, tmp_path / "zoo.png")


def test_plot_wait_histogram_png(tmp_path):
    (snapshot,) = leakscan.load(CORPUS / "gostackparse-waitsince.txt")
    report = leakscan.analyze([snapshot])
    ax = report.plot_wait_histogram()
    assert isinstance(ax, matplotlib.axes.Axes)
    frame = snapshot.to_pandas()
    waited = frame["count"][frame["wait_seconds"].notna()].sum()
    assert waited > 0
    assert sum(patch.get_height() for patch in ax.patches) == waited
    save(ax, tmp_path / "waits.png")


def test_plot_wait_histogram_without_waits(tmp_path):
    ax = leakyservice_report().plot_wait_histogram()
    assert not ax.patches
    save(ax, tmp_path / "nowaits.png")
