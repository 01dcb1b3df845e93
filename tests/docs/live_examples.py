"""The live services README's examples run against, for tests/docs/doc_examples.py.

An example marked `<!-- doctest: shell, live: NAME -->` runs its commands while the scenario
NAME is up: the scenario starts the real program the README names, on a port of its own, and
says how the README's spelling maps onto what it started (the README's port and paths become
the scenario's, and back again in what the commands print). A scenario may also act on each
line a command prints, as the README's story has it (kill a service after its fourth poll).

What a live run cannot repeat is masked on both sides before comparing: clock times, addresses,
and numbers (counts, waits, rates, ids), except a number after ":" (a source line, a port
already mapped back). Words, rows and their order must match.
"""

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
START_TIMEOUT = 120  # seconds for a program to print where it listens
FETCH_TIMEOUT = 30


def build_dir():
    return os.path.abspath(os.environ.get("LEAKSCAN_BUILD_DIR", os.path.join(ROOT, "build")))


def go_program(version, name):
    """A sample the build made with Go `version` (tests/go-bin/go1.NN)."""
    return os.path.join(build_dir(), "tests", "go-bin", version, name)


_MASKS = [
    (re.compile(r"\b\d{4}-\d\d-\d\dT[\d:.]+Z"), "TIMESTAMP"),
    (re.compile(r"\b\d\d:\d\d:\d\d\b"), "HH:MM:SS"),
    (re.compile(r"\b0x[0-9a-f]+\b"), "0xADDR"),
    # A number, with its unit if any, but not the digits of a word (a cluster id, a version).
    (re.compile(r"(?<![:\w.])\d+(?:\.\d+)?(?=(?:ns|µs|ms|s|m|h|d|%|/min)?(?!\w))"), "N"),
]


def masked(line):
    for pattern, replacement in _MASKS:
        line = pattern.sub(replacement, line)
    return line


class Program:
    """A program started for an example, ended by its pid on exit: stdout is read until a line
    that starts with `ready` (its address, after it)."""

    def __init__(self, argv, ready):
        self.argv = argv
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        stdin=subprocess.DEVNULL, text=True)
        self.lines = []
        self.address = None
        found = threading.Event()

        def read():
            for line in self.process.stdout:
                self.lines.append(line.rstrip("\n"))
                if line.startswith(ready) and self.address is None:
                    self.address = line[len(ready):].strip()
                    found.set()
            found.set()

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        if not found.wait(START_TIMEOUT) or self.address is None:
            self.stop()
            raise RuntimeError(f"{argv[0]} printed no '{ready}' line within {START_TIMEOUT}s")

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(10)


def fetch(url):
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
        return response.read()


def request(url):
    """Sends one request; a handler that times out or fails is load too."""
    try:
        fetch(url)
    except OSError:
        pass


class Live:
    """What a scenario gives the doc test while it is up."""

    def __init__(self, cwd=ROOT, names=None, on_start=None, on_line=None, optional=None):
        self.cwd = cwd
        self.names = names or {}  # the README's spelling -> the scenario's
        self.on_start = on_start or (lambda: None)  # once a command has started
        self.on_line = on_line or (lambda line: None)
        self.optional = optional  # a line matching it may or may not be printed

    def command(self, text):
        for readme, here in self.names.items():
            text = text.replace(readme, here)
        return text

    def output(self, text):
        for readme, here in self.names.items():
            text = text.replace(here, readme)
        return text


@contextlib.contextmanager
def go_deadlock_served_by_go_1_27():
    """`samples/go/deadlocks -shape missed-unlock -serve`, built by Go 1.27 (its
    goroutineleak profile on by default), serving net/http/pprof."""
    program = Program([go_program("go1.27", "deadlocks"), "-shape", "missed-unlock", "-serve"],
                      "LISTENING http://")
    try:
        yield Live(names={"127.0.0.1:44775": program.address})
    finally:
        program.stop()


def _leakyservice(address):
    return Program([go_program("go1.26", "leakyservice"), "-addr", address], "LISTENING ")


@contextlib.contextmanager
def watch_through_a_restart():
    """`samples/go/leakyservice` loaded with 14 requests to its leaking /api/orders between
    polls, killed with SIGKILL once the watch printed its fourth poll, and started again on its
    port 400ms later, while the polls fail."""
    service = [_leakyservice("127.0.0.1:0")]
    address = service[0].address
    port = address.rsplit(":", 1)[1]
    request(f"http://{address}/api/orders")
    time.sleep(0.1)  # its fetch's 20ms of work done: the goroutine blocks on its send
    status = re.compile(r" poll (\d+): \d+ goroutines")

    def on_line(line):
        match = status.search(line)
        if not match:
            return
        poll = int(match.group(1))
        if poll <= 3:
            for _ in range(14):
                request(f"http://{address}/api/orders")
        elif poll == 4:
            service[0].stop(signal.SIGKILL)
            time.sleep(0.4)
            service[0] = _leakyservice(address)

    with tempfile.TemporaryDirectory() as scratch:
        try:
            yield Live(names={"127.0.0.1:6061": address, "127.0.0.1_6061": f"127.0.0.1_{port}",
                              "/tmp/watch": os.path.join(scratch, "watch")},
                       on_line=on_line, optional=re.compile(r" poll \d+: failed: "))
        finally:
            service[0].stop()


def _manifest_routes(lines):
    """The routes order_service's manifest seeds a leak on, in its order."""
    return [line.split()[4] for line in lines if line.startswith("SEEDED ")]


@contextlib.contextmanager
def cpp_order_service_three_rounds():
    """`samples/cpp/order_service`: after each of three rounds of 5 requests to every seeded
    route but /api/orders, which gets 10 (so that its leak ranks first, ahead of six equal
    ones), and 5 to the working /api/checkout, once its fibers have parked, the agent's debug=0
    profile is saved as orders-ROUND.pb.gz in the directory the commands run in."""
    binary = os.path.join(build_dir(), "samples", "cpp", "order_service")
    program = Program([binary, "--work-ms", "20", "--handler-timeout-ms", "5"], "LISTENING ")
    agent = next(line[len("AGENT "):] for line in program.lines if line.startswith("AGENT "))
    api = f"http://{program.address}"
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for round_number in (1, 2, 3):
                for route in _manifest_routes(program.lines) + ["/api/checkout"]:
                    for _ in range(10 if route == "/api/orders" else 5):
                        request(api + route)
                profile = _settled_profile(f"http://{agent}/debug/pprof/goroutine")
                with open(os.path.join(scratch, f"orders-{round_number}.pb.gz"), "wb") as f:
                    f.write(profile)
            yield Live(cwd=scratch)
    finally:
        program.stop()


def _settled_profile(url, settle=0.5):
    """The profile once the round's fibers have parked: its fetches finish their 20ms of work
    well within `settle` seconds, and the fibers they leave then block."""
    time.sleep(settle)
    return fetch(url)


@contextlib.contextmanager
def go_binary_traced():
    """`samples/go/leaktrace` (Go 1.26), as the README's pid: two seconds after the command
    starts, one request makes 20 goroutines that block forever (its go statement in
    handleLeak)."""
    program = Program([go_program("go1.26", "leaktrace")], "LISTENING ")
    load = threading.Timer(2.0, request, [f"http://{program.address}/leak?n=20"])
    started = []

    def on_start():
        if not started:
            started.append(True)
            load.start()

    with tempfile.TemporaryDirectory() as scratch:
        try:
            yield Live(names={"4242": str(program.process.pid),
                              "/tmp/trace": os.path.join(scratch, "trace")}, on_start=on_start)
        finally:
            load.cancel()
            program.stop()


@contextlib.contextmanager
def go_spike_traced():
    """`samples/go/spike` (Go 1.26) as the README's pid, after its 20,000 goroutines all
    ended: what the tracer finds left behind."""
    program = Program([go_program("go1.26", "spike"), "-n", "20000"], "LISTENING")
    with tempfile.TemporaryDirectory() as scratch:
        try:
            yield Live(names={"4242": str(program.process.pid),
                              "/tmp/spike": os.path.join(scratch, "spike")})
        finally:
            program.stop()


SCENARIOS = {
    "traced-go-binary": go_binary_traced,
    "traced-spike": go_spike_traced,
    "deadlock-go1.27": go_deadlock_served_by_go_1_27,
    "watch-restart": watch_through_a_restart,
    "order-service": cpp_order_service_three_rounds,
}


def scenario(name, where):
    if name not in SCENARIOS:
        raise SystemExit(f"{where}: unknown live scenario '{name}' (known: "
                         f"{', '.join(sorted(SCENARIOS))})")
    return SCENARIOS[name]()

