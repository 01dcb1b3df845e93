// Command bugs reproduces, one per subcommand, the shape of real goroutine leaks and deadlocks
// reported in public Go projects (see README.md for the table of bug reports), so that the leak
// analyzer can be measured against ground truth taken from real processes and real dumps.
//
//	bugs -list            the bugs, one per line: NAME REF URL
//	bugs -table           README.md's table of the bugs
//	bugs -bug NAME        serve net/http/pprof on 127.0.0.1, print the manifest, then
//	                      "LISTENING http://127.0.0.1:PORT"; GET /round runs one round
//
// The manifest is JSON lines on stdout, printed before LISTENING: one "bug" line, then one line
// per site, the function where the goroutines block (the leaf-most frame of this program's own
// code in their stacks): {"site": F, "kind": "leak", "per_round": N} for the bug's leak sites
// (each round leaks exactly N goroutines there) and {"site": F, "kind": "benign", "count": N}
// for the look-alikes that run in every process and must not be called leaks (N is how many
// are usually there; the in-flight request may be between calls).
//
// Each round triggers the bug's code path -triggers times, each in its own goroutine, as
// production traffic would; the triggers order their goroutines with short sleeps (tens of
// milliseconds) so that every round ends in the bug's blocked state within ~100ms.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// site is a function where a bug's goroutines block, and how many block there per trigger.
type site struct {
	Function   string
	PerTrigger int
}

// bug is one reproduced bug report.
type bug struct {
	Name    string // the subcommand: project and number, "grpc1353"
	Ref     string // "grpc-go#1353"
	URL     string
	Shape   string
	Sites   []site
	Trigger func() // runs the buggy code path once, in its own goroutine
}

var registry = map[string]*bug{}

func register(b *bug) {
	if _, dup := registry[b.Name]; dup {
		panic("duplicate bug " + b.Name)
	}
	registry[b.Name] = b
}

// The benign look-alikes every process runs: parked, but by design, and not growing.
var benignSites = []struct {
	Function string
	Count    int
	What     string
}{
	{"main.(*jobQueue).worker", 4, "worker pool idle on its queue"},
	{"main.metricsFlushLoop", 1, "ticker loop"},
	{"main.(*backendClient).awaitReply", 1, "in-flight request that finishes (250ms)"},
	{"main.slowBackend", 1, "the backend serving that request"},
	{"main.waitForShutdown", 1, "main waiting for SIGTERM"},
	{"main.serveHTTP", 1, "HTTP accept loop"},
	{"net/http.(*conn).serve", 1, "idle HTTP keep-alive connection, server side"},
	{"net/http.(*persistConn).readLoop", 1, "idle HTTP keep-alive connection, client side"},
	{"net/http.(*persistConn).writeLoop", 1, "idle HTTP keep-alive connection, client side"},
}

// jobQueue is a fixed pool of workers parked on a queue: a round hands them one job.
type jobQueue struct{ jobs chan func() }

func (q *jobQueue) worker() {
	for job := range q.jobs {
		job()
	}
}

var pool = &jobQueue{jobs: make(chan func())}

var flushes atomic.Int64

func metricsFlushLoop(stop <-chan struct{}) {
	ticker := time.NewTicker(200 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			flushes.Add(1)
		case <-stop:
			return
		}
	}
}

// backendClient calls a slow backend in a loop: one request is always in flight, and finishes.
type backendClient struct{ served atomic.Int64 }

func slowBackend(reply chan<- int) {
	time.Sleep(250 * time.Millisecond)
	reply <- 1
}

func (c *backendClient) awaitReply(reply <-chan int) {
	select {
	case n := <-reply:
		c.served.Add(int64(n))
	case <-time.After(5 * time.Second):
	}
}

func (c *backendClient) callForever() {
	for {
		reply := make(chan int, 1)
		go slowBackend(reply)
		c.awaitReply(reply)
	}
}

func serveHTTP(srv *http.Server, ln net.Listener) {
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

func waitForShutdown() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	<-sigs
}

// idleClient keeps one keep-alive connection to this very server open and idle.
var idleClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}

func openIdleConnection(base string) error {
	resp, err := idleClient.Get(base + "/healthz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// roundHandler serves GET /round: one round of triggers, each in its own goroutine.
type roundHandler struct {
	bug      *bug
	triggers int
	rounds   atomic.Int64
}

func (h *roundHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for i := 0; i < h.triggers; i++ {
		go h.bug.Trigger()
	}
	pool.jobs <- func() {} // the pool does some work too
	fmt.Fprintf(w, "round %d\n", h.rounds.Add(1))
}

func printJSON(v any) {
	line, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(line))
}

func main() {
	name := flag.String("bug", "", "the bug to run (see -list)")
	list := flag.Bool("list", false, "list the bugs and exit")
	table := flag.Bool("table", false, "print README.md's table of bugs and exit")
	triggers := flag.Int("triggers", 3, "times each round runs the buggy code path")
	flag.Parse()
	if *list || *table {
		names := make([]string, 0, len(registry))
		for n := range registry {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			b := registry[n]
			if !*table {
				fmt.Printf("%s %s %s\n", n, b.Ref, b.URL)
				continue
			}
			var sites []string
			for _, s := range b.Sites {
				sites = append(sites, fmt.Sprintf("`%s` (%d)", s.Function, s.PerTrigger))
			}
			fmt.Printf("| `%s` | [%s](%s) | %s | %s |\n", n, b.Ref, b.URL, b.Shape, strings.Join(sites, "<br>"))
		}
		return
	}
	b := registry[*name]
	if b == nil {
		fmt.Fprintf(os.Stderr, "bugs: unknown bug %q (see -list)\n", *name)
		os.Exit(2)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	base := "http://" + ln.Addr().String()

	for i := 0; i < 4; i++ {
		go pool.worker()
	}
	go metricsFlushLoop(make(chan struct{}))
	go (&backendClient{}).callForever()

	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	http.Handle("/round", &roundHandler{bug: b, triggers: *triggers})
	go serveHTTP(&http.Server{Handler: http.DefaultServeMux}, ln)
	if err := openIdleConnection(base); err != nil {
		fmt.Fprintln(os.Stderr, "keep-alive connection:", err)
		os.Exit(1)
	}

	printJSON(map[string]any{"bug": b.Name, "ref": b.Ref, "url": b.URL, "shape": b.Shape})
	for _, s := range b.Sites {
		printJSON(map[string]any{"site": s.Function, "kind": "leak", "per_round": s.PerTrigger * *triggers})
	}
	for _, s := range benignSites {
		printJSON(map[string]any{"site": s.Function, "kind": "benign", "count": s.Count, "what": s.What})
	}
	fmt.Println("LISTENING " + base)
	waitForShutdown()
}
