"""leakscan --format sarif against the official SARIF 2.1.0 JSON schema, with locations relative
to the repository: the real captures of samples/go/leakyservice (built with -trimpath, so their
frames name module paths), mapped through the go.mod under --source-root or a --path-prefix.

The schema comes from npm (@microsoft/jest-sarif ships it; scripts/install-deps.sh runs
`npm ci` here); the validator is Debian's python3-jsonschema, with python3-rfc3987 checking
that every uri is one.
"""

import json
import os
import pathlib
import subprocess

import jsonschema

HERE = pathlib.Path(__file__).resolve().parent
ROOT = pathlib.Path(os.environ.get("LEAKSCAN_ROOT", HERE.parents[1]))
CLI = os.environ.get("LEAKSCAN_CLI", str(ROOT / "build" / "cli" / "leakscan"))
SCHEMA = HERE / "node_modules" / "@microsoft" / "jest-sarif" / "lib" / "schemas" / \
    "sarif-2.1.0-rtm.5.json"
LEAKYSERVICE = [ROOT / "samples" / "profiles" / f"leakyservice-{i}.txt" for i in (1, 2, 3)]
GO_MODULE = ROOT / "samples" / "go"  # go.mod: module leakscan.dev/samples


def sarif(*args):
    result = subprocess.run([CLI, *map(str, args), "--format", "sarif"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    log = json.loads(result.stdout)
    assert SCHEMA.is_file(), f"{SCHEMA}: missing; run scripts/install-deps.sh (npm ci in {HERE})"
    schema = json.loads(SCHEMA.read_text())
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    # Formats too: every uri must be a URI (reference), which rfc3987 checks.
    formats = jsonschema.FormatChecker()
    assert {"uri", "uri-reference"} <= set(formats.checkers), "python3-rfc3987 is missing"
    jsonschema.Draft4Validator(schema, format_checker=formats).validate(log)
    (run,) = log["runs"]
    return run


def artifacts(run):
    for result in run["results"]:
        for location in result["locations"] + result["relatedLocations"]:
            physical = location["physicalLocation"]
            yield physical["artifactLocation"], physical["region"]["startLine"]


def assert_in_repository(run, root, prefix):
    assert run["originalUriBaseIds"] == {"SRCROOT": {"uri": root.resolve().as_uri() + "/"}}
    places = list(artifacts(run))
    assert len(places) >= 8 * 2, "each of the 8 leaks: where created, where blocked"
    for artifact, line in places:
        assert artifact["uriBaseId"] == "SRCROOT", artifact
        assert artifact["uri"] == prefix + "leakyservice/main.go", artifact
        source = (root / artifact["uri"]).read_text().splitlines()
        assert 1 <= line <= len(source)


def test_module_paths_become_repository_paths():
    run = sarif(*LEAKYSERVICE, "--source-root", GO_MODULE)
    assert len(run["results"]) == 8
    assert_in_repository(run, GO_MODULE, "")
    # The first leak's creation site is the line that starts its goroutines.
    first = run["results"][0]["locations"][0]["physicalLocation"]
    line = (GO_MODULE / first["artifactLocation"]["uri"]).read_text().splitlines()[
        first["region"]["startLine"] - 1]
    assert "go " in line, line


def test_path_prefix_maps_into_the_repository():
    # Each --path-prefix takes one value: the inputs after it stay inputs.
    run = sarif("--path-prefix", "/elsewhere=x", "--path-prefix", "leakscan.dev/samples=samples/go",
                "--source-root", ROOT, *LEAKYSERVICE)
    assert_in_repository(run, ROOT, "samples/go/")


def test_unmapped_paths_stay_as_printed_without_a_base():
    run = sarif(*LEAKYSERVICE)
    assert "originalUriBaseIds" not in run
    for artifact, _ in artifacts(run):
        assert artifact == {"uri": "leakscan.dev/samples/leakyservice/main.go"}
    # A root that holds none of the files: still no uriBaseId on them.
    run = sarif(*LEAKYSERVICE, "--source-root", ROOT / "docs")
    assert "SRCROOT" in run["originalUriBaseIds"]
    assert all("uriBaseId" not in artifact for artifact, _ in artifacts(run))


def test_absolute_paths_are_file_uris():
    # A dump from a machine that built without -trimpath: /home/... paths, real, from the corpus.
    run = sarif(ROOT / "tests" / "data" / "corpus" / "panicparse-panicweb-debug2-go1.14.txt")
    places = list(artifacts(run))
    assert places
    for artifact, _ in places:
        assert artifact["uri"].startswith("file:///"), artifact
        assert "uriBaseId" not in artifact
