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
import time
import urllib.error
import urllib.request

import jsonschema

HERE = pathlib.Path(__file__).resolve().parent
ROOT = pathlib.Path(os.environ.get("LEAKSCAN_ROOT", HERE.parents[1]))
CLI = os.environ.get("LEAKSCAN_CLI", str(ROOT / "build" / "cli" / "leakscan"))
SCHEMA = HERE / "node_modules" / "@microsoft" / "jest-sarif" / "lib" / "schemas" / \
    "sarif-2.1.0-rtm.5.json"
LEAKYSERVICE = [ROOT / "samples" / "profiles" / f"leakyservice-{i}.txt" for i in (1, 2, 3)]
GO_MODULE = ROOT / "samples" / "go"  # go.mod: module leakscan.dev/samples


def sarif(*args):
    return sarif_and_warnings(*args)[0]


def sarif_and_warnings(*args):
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
    return run, result.stderr


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


def test_the_repository_root_maps_through_every_go_mod_under_it():
    # README's command: the checkout's root, whose go.mod files (samples/go's among them) name
    # the modules the frames print.
    run, warnings = sarif_and_warnings(*LEAKYSERVICE, "--source-root", ROOT)
    assert len(run["results"]) == 8
    assert_in_repository(run, ROOT, "samples/go/")
    assert "places none" not in warnings, warnings


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
    # A root that holds none of the files: still no uriBaseId on them, and a warning that says
    # so, naming a file.
    run, warnings = sarif_and_warnings(*LEAKYSERVICE, "--source-root", ROOT / "docs")
    assert "SRCROOT" in run["originalUriBaseIds"]
    assert all("uriBaseId" not in artifact for artifact, _ in artifacts(run))
    assert "leakscan: warning: SARIF: the source root" in warnings, warnings
    assert "places none of the files the findings point at (such as leakscan.dev/samples/" \
        in warnings, warnings


def test_absolute_paths_are_file_uris():
    # A dump from a machine that built without -trimpath: /home/... paths, real, from the corpus.
    run = sarif(ROOT / "tests" / "data" / "corpus" / "panicparse-panicweb-debug2-go1.14.txt")
    places = list(artifacts(run))
    assert places
    for artifact, _ in places:
        assert artifact["uri"].startswith("file:///"), artifact
        assert "uriBaseId" not in artifact


def test_creation_stack_is_a_code_flow(tmp_path):
    # leakyservice live, with GODEBUG=tracebackancestors: its debug=2 dumps carry each
    # goroutine's creation stack, which SARIF gives as a code flow ending at the go statement.
    binary = pathlib.Path(os.environ["LEAKSCAN_GO_BIN_ROOT"]) / "go1.19" / "leakyservice"
    assert binary.is_file(), f"{binary}: missing; the go_programs target builds it"
    env = dict(os.environ, GODEBUG="tracebackancestors=3")
    service = subprocess.Popen([binary, "-addr", "127.0.0.1:0"], stdout=subprocess.PIPE,
                               text=True, env=env)
    try:
        address = None
        for _ in range(200):  # the manifest, then LISTENING
            line = service.stdout.readline()
            if line.startswith("LISTENING "):
                address = line.split()[1]
                break
        assert address, "leakyservice did not say where it listens"
        loopback = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        dumps = []
        for round_ in range(3):
            for _ in range(5):
                try:
                    loopback.open(f"http://{address}/api/orders", timeout=10).read()
                except urllib.error.HTTPError as error:
                    assert error.code == 504, error  # the handler gave up on its fetch: the leak

            time.sleep(0.1)  # the abandoned fetches finish their 20 ms and block on send
            dump = tmp_path / f"dump-{round_}.txt"
            with loopback.open(f"http://{address}/debug/pprof/goroutine?debug=2",
                               timeout=10) as response:
                dump.write_bytes(response.read())
            dumps.append(dump)
    finally:
        service.kill()
        service.wait(timeout=10)
    run = sarif(*dumps, "--source-root", GO_MODULE)
    flows = [result["codeFlows"] for result in run["results"] if "codeFlows" in result]
    assert flows, json.dumps(run["results"])[:2000]
    creators = set()
    for result in run["results"]:
        if "codeFlows" not in result:
            continue
        (flow,) = result["codeFlows"]
        (thread_flow,) = flow["threadFlows"]
        steps = [step["location"] for step in thread_flow["locations"]]
        assert steps
        # Outermost caller first: the last step is in the function with the go statement. Go
        # records the creator's pc after its call into the runtime, past the go statement (and
        # a closure's body): at or below the creation site, not on it.
        last = steps[-1]["physicalLocation"]
        site = result["locations"][0]["physicalLocation"]
        assert last["artifactLocation"] == site["artifactLocation"]
        assert site["region"]["startLine"] <= last["region"]["startLine"], (last, site)
        creators.add(steps[-1]["message"]["text"])
    # The timeout race of /api/orders: fetchOrder starts the fetch that blocks on its send.
    assert "main.(*OrderService).fetchOrder" in creators, creators
