"""Every option of the leakscan command has a Python equivalent, and each gives what the
command gives: both are front ends over one engine (analyzer/engine).

`leakscan trace` is the exception: it attaches eBPF probes as root and stays a command; its
snapshots are files that leakscan.load and leakscan.analyze read.
"""

import json
import os
import pathlib
import subprocess

import pytest

import leakscan

ROOT = pathlib.Path(os.environ.get("LEAKSCAN_ROOT", pathlib.Path(__file__).resolve().parents[2]))
CLI = os.environ.get("LEAKSCAN_CLI", str(ROOT / "build" / "cli" / "leakscan"))
PROFILES = ROOT / "samples" / "profiles"
LEAKYSERVICE = [str(PROFILES / f"leakyservice-{i}.pb.gz") for i in (1, 2, 3)]


def run_cli(*args, check=True):
    result = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode in (0, 1), result.stderr
    return result


def analyze(**options):
    return leakscan.analyze(LEAKYSERVICE, order="time", **options)


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "sarif", "html"])
def test_format(fmt):
    printed = run_cli(*LEAKYSERVICE, "--format", fmt, "--color", "never").stdout
    rendered = analyze().render(fmt)
    if fmt in ("json", "sarif"):
        # SARIF's objects come from a protobuf Struct, whose keys have no fixed order.
        assert json.loads(rendered) == json.loads(printed)
    else:
        assert rendered == printed
    if fmt == "json":
        assert int(json.loads(printed)["summary"]["leaks"]) == 8  # int64: a string in JSON


def test_to_text_markdown_sarif_are_render():
    report = analyze()
    assert report.to_text() == report.render("text")
    assert report.to_markdown() == report.render("markdown")
    assert json.loads(report.to_sarif()) == json.loads(report.render("sarif"))
    assert report.to_html() == report.render("html")


def test_html_to_a_file(tmp_path):
    page = tmp_path / "report.html"
    run_cli(*LEAKYSERVICE, "--format", "html", "-o", page)
    assert page.read_text() == analyze().to_html()
    assert not (tmp_path / "report.html.tmp").exists()


def test_sarif_source_root_and_path_prefix():
    go_module = ROOT / "samples" / "go"  # its go.mod names leakscan.dev/samples
    printed = run_cli(*LEAKYSERVICE, "--format", "sarif", "--source-root", go_module,
                      "--path-prefix", "leakscan.dev/samples/leakyservice=svc",
                      "--path-prefix", "/nowhere=x").stdout
    prefixes = {"leakscan.dev/samples/leakyservice": "svc", "/nowhere": "x"}
    sarif = json.loads(analyze().to_sarif(source_root=go_module, path_prefixes=prefixes))
    assert sarif == json.loads(printed)
    assert sarif == json.loads(analyze().render(
        "sarif", source_root=str(go_module),
        path_prefixes=["leakscan.dev/samples/leakyservice=svc", "/nowhere=x"]))
    (run,) = sarif["runs"]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == go_module.resolve().as_uri() + "/"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in run["results"]}
    assert uris == {"svc/main.go"}
    with pytest.raises(leakscan.FormatError, match="expected FROM=TO"):
        analyze().to_sarif(path_prefixes=["no-equals-sign"])
    assert "expected FROM=TO" in run_cli(*LEAKYSERVICE, "--path-prefix", "x", check=False).stderr


def test_color_and_verbose():
    printed = run_cli(*LEAKYSERVICE, "--color", "always", "-v").stdout
    text = analyze().to_text(color=True, verbose=True)
    assert text == printed
    assert "\x1b[" in text
    assert "set aside in the last snapshot" in text


def test_min_wait_config_focus_ignore_max_clusters(tmp_path):
    config = tmp_path / "leakscan.toml"
    config.write_text('[thresholds]\ndefault = "1s"\n')
    cases = [
        (["--min-wait", "90s"], dict(min_wait="90s")),
        (["--config", config], dict(config=config)),
        (["--focus", "fetchOrder"], dict(focus="fetchOrder")),
        (["--ignore", "OrderService"], dict(ignore="OrderService")),
        (["--max-clusters", "2"], dict(max_clusters=2)),
    ]
    for flags, options in cases:
        printed = run_cli(*LEAKYSERVICE, "--format", "json", *flags).stdout
        assert json.loads(analyze(**options).to_json()) == json.loads(printed), flags
    assert len(analyze(max_clusters=2).to_dict()["clusters"]) == 2
    assert analyze(focus="fetchOrder").leaks == 1
    assert analyze(ignore="OrderService").leaks == 0


def test_codeowners_and_baseline(tmp_path):
    owners = tmp_path / "CODEOWNERS"
    owners.write_text("leakyservice/ @team-orders\n")
    printed = run_cli(*LEAKYSERVICE, "--format", "json", "--codeowners", owners).stdout
    report = analyze(codeowners=owners)
    assert json.loads(report.to_json()) == json.loads(printed)
    anchors = [a for c in report.to_dict()["clusters"] for a in c.get("anchors", [])]
    assert {"kind": "owner", "name": "@team-orders"} in anchors

    first = report.to_dict()["clusters"][0]["id"]
    baseline = tmp_path / "known-leaks.toml"
    baseline.write_text(f'[[accepted]]\ncluster = "{first}"\nreason = "known"\n')
    printed = run_cli(*LEAKYSERVICE, "--format", "json", "--baseline", baseline).stdout
    assert json.loads(analyze(baseline=baseline).to_json()) == json.loads(printed)


def test_fail_on():
    report = analyze()
    assert report.fails("leak") and report.fails("suspect")
    assert run_cli(*LEAKYSERVICE, "--fail-on", "leak").returncode == 1
    clean = analyze(ignore="main\\.")
    assert not clean.fails("leak")
    assert run_cli(*LEAKYSERVICE, "--fail-on", "leak", "--ignore", "main\\.").returncode == 0
    with pytest.raises(ValueError):
        report.fails("sometimes")


def test_max_input_size():
    result = run_cli(LEAKYSERVICE[0], "--max-input-size", "100", check=False)
    assert result.returncode == 2
    assert "raise --max-input-size" in result.stderr
    with pytest.raises(leakscan.FormatError, match="raise max_input_size"):
        leakscan.analyze(LEAKYSERVICE[0], max_input_size=100)


def test_max_memory():
    result = run_cli(LEAKYSERVICE[0], "--max-memory", "1000", check=False)
    assert result.returncode == 2
    assert "need more memory than its budget of 1000 bytes" in result.stderr
    assert "raise --max-memory" in result.stderr
    with pytest.raises(leakscan.FormatError, match="raise max_memory"):
        leakscan.analyze(LEAKYSERVICE[0], max_memory=1000)


def test_emit_pprof(tmp_path):
    from_cli = tmp_path / "cli.pb.gz"
    run_cli(*LEAKYSERVICE, "--emit-pprof", from_cli)
    from_python = tmp_path / "python.pb.gz"
    report = analyze()
    report.write_leaks_pprof(from_python)
    (cli_snapshot,) = leakscan.load(from_cli)
    (py_snapshot,) = leakscan.load(from_python)
    leaked = int(report.to_dict()["summary"]["leaked_goroutines"])
    assert cli_snapshot.goroutine_count == py_snapshot.goroutine_count == leaked
    assert report.leaks_snapshot().goroutine_count == leaked


def test_diff():
    printed = run_cli("diff", LEAKYSERVICE[0], LEAKYSERVICE[2]).stdout.splitlines()
    changes = leakscan.diff(LEAKYSERVICE[0], LEAKYSERVICE[2])
    assert printed[0].endswith(f": {len(changes)} clusters changed")
    assert len(changes) > 0
    for line, change in zip(printed[1:], changes):
        assert f"({change['before']} → {change['after']})" in line
        assert change["blocked_at"] in line


@pytest.mark.parametrize("to", ["pprof", "text"])
def test_convert(tmp_path, to):
    from_cli = tmp_path / f"cli.{to}"
    run_cli("convert", LEAKYSERVICE[2], "--to", to, "-o", from_cli)
    from_python = tmp_path / f"python.{to}"
    leakscan.convert(LEAKYSERVICE[2], from_python, to=to)
    assert from_python.read_bytes() == from_cli.read_bytes()


def test_out_of_order_dumps_are_ordered_as_the_command_orders_them():
    # Text dumps carry no capture time: both order them by goroutine ids, and say so.
    files = [str(PROFILES / f"leakyservice-{i}.txt") for i in (3, 1, 2)]
    printed = run_cli(*files, "--format", "json")
    with pytest.warns(leakscan.LeakscanWarning, match="ordered by their goroutine ids") as caught:
        report = leakscan.analyze(files)
    assert json.loads(report.to_json())["summary"] == json.loads(printed.stdout)["summary"]
    assert int(json.loads(printed.stdout)["summary"]["leaks"]) == 8
    said = [str(warning.message) for warning in caught if "goroutine ids" in str(warning.message)]
    assert f"leakscan: warning: {said[0]}" in printed.stderr
