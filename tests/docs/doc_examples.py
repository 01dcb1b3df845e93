"""README's examples as tests: each example marked for checking runs, and what it prints must be
what the README shows, line for line (a reordered row is a failure).

Two kinds of marked example, each a fenced block right after the marker line:

    <!-- doctest: shell -->         a block of "$ COMMAND" lines, each followed by its output
    <!-- doctest: python -->        a ```python block, followed by a plain block of its output

A block whose last line is "..." shows only the start of what its command prints.

    <!-- doctest: shell, live: NAME -->   the block's commands run against a real program the
                                          scenario NAME of tests/docs/live_examples.py starts;
                                          what no run repeats (times, addresses, numbers) is
                                          masked on both sides

    /usr/bin/python3 tests/docs/doc_examples.py README.md python/README.md         check
    /usr/bin/python3 tests/docs/doc_examples.py --update README.md python/README.md  rewrite

Commands run from the repository root; "build/cli/leakscan" and "leakscan" at the start of a
command mean the CLI under test ($LEAKSCAN_CLI), and Python sees $PYTHONPATH. The checkout's
absolute path reads as CHECKOUT, and what an example writes at the top of the checkout and
names (zoo.pb.gz, growth.png) is removed after it.

Every analysing command of a shell example (`leakscan FILES [FLAGS]`, up to a pipe) also runs
through the Python bindings, `leakscan.analyze(FILES, ...).render(...)`, which must print the
same bytes and warn the same warnings: Python = CLI.
"""

import argparse
import contextlib
import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass

import live_examples

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARKER = re.compile(r"^<!-- doctest: (shell|python)(?:, live: ([\w.-]+))? -->\s*$")
FENCE = re.compile(r"^```")
TIMEOUT_SECONDS = 600


@dataclass
class Example:
    path: str
    kind: str
    line: int  # 1-based line of the marker
    code: list  # shell: the block's lines; python: the code's lines
    output_start: int  # 0-based index of the output's first line in the file
    output_end: int  # 0-based index one past its last line
    live: str = None  # the scenario of tests/docs/live_examples.py it runs against


def fenced_block(lines, start, path):
    """The lines inside the fence that opens at `start`, and the index after its close."""
    if start >= len(lines) or not FENCE.match(lines[start]):
        raise SystemExit(f"{path}:{start + 1}: expected a ``` fence after the doctest marker")
    end = start + 1
    while end < len(lines) and not FENCE.match(lines[end]):
        end += 1
    if end == len(lines):
        raise SystemExit(f"{path}:{start + 1}: the fence opened here is never closed")
    return start + 1, end


def examples_in(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    found = []
    for i, line in enumerate(lines):
        match = MARKER.match(line)
        if not match:
            continue
        kind, live = match.group(1), match.group(2)
        body_start, body_end = fenced_block(lines, i + 1, path)
        if kind == "shell":
            found.append(Example(path, kind, i + 1, lines[body_start:body_end], body_start, body_end,
                                 live))
            continue
        if live:
            raise SystemExit(f"{path}:{i + 1}: only a shell example runs live")
        out_fence = body_end + 1
        while out_fence < len(lines) and lines[out_fence].strip() == "":
            out_fence += 1
        out_start, out_end = fenced_block(lines, out_fence, path)
        found.append(Example(path, kind, i + 1, lines[body_start:body_end], out_start, out_end))
    return lines, found


def absolute_paths_in_environment():
    """The CLI, the Python package and the build tree as absolute paths: a live example runs its
    commands in a directory of its own."""
    for name in ("LEAKSCAN_CLI", "LEAKSCAN_BUILD_DIR"):
        if name in os.environ:
            os.environ[name] = os.path.abspath(os.environ[name])
    if os.environ.get("PYTHONPATH"):
        os.environ["PYTHONPATH"] = os.pathsep.join(
            os.path.abspath(entry) for entry in os.environ["PYTHONPATH"].split(os.pathsep))


def cli_command(command):
    cli = os.environ.get("LEAKSCAN_CLI", os.path.join(ROOT, "build/cli/leakscan"))
    for spelled in ("build/cli/leakscan", "leakscan"):
        if command.startswith(spelled + " "):
            return cli + command[len(spelled):]
    return command


def lines_of(text):
    return text.replace(ROOT, "CHECKOUT").rstrip("\n").split("\n") if text else []


@contextlib.contextmanager
def leaving_no_files(example):
    """Removes what the example left at the top of the checkout: a new entry its code names
    (others are another test's, running beside it, such as pip's build tree)."""
    before = set(os.listdir(ROOT))
    code = "\n".join(example.code)
    try:
        yield
    finally:
        for left in set(os.listdir(ROOT)) - before:
            if left not in code:
                continue
            path = os.path.join(ROOT, left)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


def run_separately(argv, cwd=ROOT):
    """stdout and stderr of `argv`, run in `cwd`."""
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT_SECONDS, env=dict(os.environ, COLUMNS="200"))
    return done.stdout, done.stderr


def run(argv):
    out, err = run_separately(argv)
    return lines_of(out + err)


def run_live(command, live):
    """What `command` prints, stdout and stderr interleaved as on a terminal, while `live` acts
    on each line."""
    process = subprocess.Popen(["bash", "-c", command], cwd=live.cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                               env=dict(os.environ, COLUMNS="200"))
    live.on_start()
    timer = threading.Timer(TIMEOUT_SECONDS, process.kill)
    timer.start()
    printed = []
    try:
        for line in process.stdout:
            printed.append(line)
            live.on_line(line.rstrip("\n"))
        process.wait()
    finally:
        timer.cancel()
    return lines_of(live.output("".join(printed)))


def shell_output(example, live=None):
    """The block as it should read: each command followed by what it prints now."""
    out = []
    for line in example.code:
        if line.startswith("$ "):
            out.append(line)
            command = cli_command(line[2:])
            out.extend(run_live(live.command(command), live) if live else
                       run(["bash", "-c", command]))
    return out


def python_output(example):
    # From a file, not stdin: a Dask LocalCluster starts its workers by importing __main__.
    with tempfile.TemporaryDirectory() as scratch:
        script = os.path.join(scratch, "example.py")
        with open(script, "w", encoding="utf-8") as f:
            f.write("\n".join(example.code) + "\n")
        return run([sys.executable, script])


# The CLI's flags of an analysis and the Python arguments that say the same: of analyze(), or
# of Report.render().
ANALYZE_FLAGS = {"--config": "config", "--baseline": "baseline", "--min-wait": "min_wait",
                 "--codeowners": "codeowners", "--focus": "focus", "--ignore": "ignore",
                 "--max-clusters": "max_clusters"}
RENDER_FLAGS = {"--format": "format", "--source-root": "source_root"}
SUBCOMMANDS = ("convert", "diff", "trace", "watch")


def python_call(args):
    """The Python program that analyses as `leakscan ARGS` does, or None when ARGS are not an
    analysis of local files this check knows the flags of."""
    inputs, analyze, render, prefixes = [], {}, {}, []
    it = iter(args)
    for arg in it:
        if arg in ANALYZE_FLAGS:
            value = next(it)
            analyze[ANALYZE_FLAGS[arg]] = int(value) if arg == "--max-clusters" else value
        elif arg in RENDER_FLAGS:
            render[RENDER_FLAGS[arg]] = next(it)
        elif arg == "--path-prefix":
            prefixes.append(next(it))
        elif arg == "-v":
            render["verbose"] = True
        elif arg.startswith("-") or "://" in arg:
            return None
        else:
            inputs.append(arg)
    if not inputs or inputs[0] in SUBCOMMANDS:
        return None
    if prefixes:
        render["path_prefixes"] = prefixes
    return "\n".join([
        "import sys, warnings, leakscan",
        "warnings.simplefilter('ignore')",
        "try:",
        f"    report = leakscan.analyze({inputs!r}, **{analyze!r})",
        "except leakscan.FormatError as error:",
        "    sys.exit(f'leakscan: {error}')",
        f"sys.stdout.write(report.render(**{render!r}))",
        "for warning in report.warnings: print('leakscan: warning: ' + warning, file=sys.stderr)",
    ])


def parity_failures(example, live=None):
    """The analysing commands of a shell example whose Python run prints otherwise."""
    cwd = live.cwd if live else ROOT
    failures = []
    for line in example.code:
        if not line.startswith("$ "):
            continue
        command = cli_command(line[2:].split("|")[0].split(">")[0].strip())
        cli = os.environ.get("LEAKSCAN_CLI", os.path.join(ROOT, "build/cli/leakscan"))
        if not command.startswith(cli + " "):
            continue
        # The shell expands globs and quotes as it does for the command itself.
        expanded = subprocess.run(["bash", "-c", f"printf '%s\\0' {command[len(cli):]}"], cwd=cwd,
                                  capture_output=True, text=True, check=True).stdout
        program = python_call(expanded.split("\0")[:-1])
        if program is None:
            continue
        with tempfile.TemporaryDirectory() as scratch:
            script = os.path.join(scratch, "parity.py")
            with open(script, "w", encoding="utf-8") as f:
                f.write(program + "\n")
            python = run_separately([sys.executable, script], cwd)
        shell = run_separately(["bash", "-c", command], cwd)
        # What the command says on stderr, but its progress on a terminal.
        warned = [w for w in shell[1].split("\n") if w.startswith("leakscan: ")]
        if python[0] != shell[0] or python[1].split("\n")[:-1] != warned:
            diff = difflib.unified_diff(lines_of(shell[0]) + warned,
                                        lines_of(python[0]) + lines_of(python[1]),
                                        f"{example.path}:{example.line}: {line[2:]}",
                                        "leakscan.analyze(...).render(...)", lineterm="")
            failures.append("\n".join(diff))
    return failures


def live_scenario(example):
    if not example.live:
        return contextlib.nullcontext()
    return live_examples.scenario(example.live, f"{example.path}:{example.line}")


def segments(expected):
    """The shown runs of lines between "..." lines."""
    parts = [[]]
    for line in expected:
        if line == "...":
            parts.append([])
        else:
            parts[-1].append(line)
    return parts


def comparable(lines, live):
    """`lines` as a live example compares them: masked, its optional lines left out."""
    if not live:
        return lines
    return [live_examples.masked(line) for line in lines
            if not (live.optional and live.optional.search(line))]


def compare(expected, actual):
    """True when `actual` is what `expected` shows; a "..." line stands for any lines."""
    expected = [line.rstrip() for line in expected]
    actual = [line.rstrip() for line in actual]
    parts = segments(expected)
    if len(parts) == 1:
        return actual == expected
    head, tail = parts[0], parts[-1]
    end = len(actual) - len(tail)
    if actual[: len(head)] != head or end < len(head) or actual[end:] != tail:
        return False
    at = len(head)
    for middle in parts[1:-1]:
        while at + len(middle) <= end and actual[at:at + len(middle)] != middle:
            at += 1
        if at + len(middle) > end:
            return False
        at += len(middle)
    return True


def cut_like(expected, actual, live=None):
    """`actual`, cut where the README cuts its block: as many lines before the first "..." and
    after the last; a run shown between two "..." keeps its place where its first line (as
    compared) is found again."""
    parts = segments([line.rstrip() for line in expected])
    if len(parts) == 1:
        return actual
    head, tail = len(parts[0]), len(parts[-1])
    out = actual[:head] + ["..."]
    at = head
    def as_compared(line):
        return live_examples.masked(line.rstrip()) if live else line.rstrip()

    seen = [as_compared(line) for line in actual]
    for middle in parts[1:-1]:
        first = [as_compared(line) for line in middle[:1]]
        found = next((i for i in range(at, len(actual)) if first and seen[i:i + 1] == first), None)
        if found is not None:
            out += actual[found:found + len(middle)] + ["..."]
            at = found + len(middle)
    return out + (actual[len(actual) - tail:] if tail else [])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite the examples' outputs")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    absolute_paths_in_environment()
    failures = 0
    total = 0
    for relative in args.files:
        path = os.path.join(ROOT, relative)
        lines, found = examples_in(path)
        if not found:
            print(f"{relative}: no example is marked for checking", file=sys.stderr)
            failures += 1
        # From the last, so that rewriting one keeps the others' positions.
        for example in reversed(found):
            total += 1
            with leaving_no_files(example), live_scenario(example) as live:
                if example.kind == "shell":
                    expected = example.code
                    actual = shell_output(example, live)
                    for failure in parity_failures(example, live):
                        failures += 1
                        print(failure)
                else:
                    expected = lines[example.output_start:example.output_end]
                    actual = python_output(example)
            if compare(comparable(expected, live), comparable(actual, live)):
                continue
            if args.update:
                lines[example.output_start:example.output_end] = cut_like(expected, actual, live)
                print(f"{relative}:{example.line}: rewritten")
                continue
            failures += 1
            diff = difflib.unified_diff(expected, actual, f"{relative}:{example.line} (README)",
                                        "what it prints now", lineterm="")
            print("\n".join(diff))
        if args.update:
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines))
    print(f"{total} examples, {failures} differ" if not args.update else f"{total} examples")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
