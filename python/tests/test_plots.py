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


def test_plot_growth_png(tmp_path):
    report = leakyservice_report()
    ax = report.plot_growth()
    assert isinstance(ax, matplotlib.axes.Axes)
    expected = [c for c in report.to_dict()["clusters"] if c["verdict"] != "EXPECTED"]
    assert len(expected) == 8
    assert len(ax.get_lines()) == len(expected)
    for line, cluster in zip(ax.get_lines(), expected):
        assert list(line.get_ydata()) == [int(c) for c in cluster["count_per_snapshot"]]
    # Capture times are known: x is minutes since the first snapshot.
    assert ax.get_lines()[0].get_xdata()[0] == 0
    assert "minutes" in ax.get_xlabel()
    save(ax, tmp_path / "growth.png")


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
    report = leakscan.analyze(leakscan.load(PROFILES / "zoo-debug2.txt"))
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
