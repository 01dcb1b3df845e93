// Command leakscan-gotrace reads a Go execution trace (runtime/trace, /debug/pprof/trace; Go
// 1.22 or later, gzipped or not) and writes the goroutines alive at the end of its window as a
// gzipped pprof goroutine profile in leakscan's labels (docs/profile-labels.md), one sample per
// goroutine.
//
// Usage: leakscan-gotrace [-name NAME] [-end RFC3339] TRACE|-
//
// leakscan runs it on a trace given as a file or fetched from a URL; errors are one line on
// standard error and exit status 1.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/google/pprof/profile"
	"golang.org/x/exp/trace"
)

// The oldest format x/exp/trace reads as the runtime writes it today; older traces it converts
// lose the stacks of goroutines at the window's start, so they are refused.
const firstVersion = 22

// Creation stacks keep as many frames as the tracer's do.
const maxCreationFrames = 16

type goroutine struct {
	id        trace.GoID
	state     trace.GoState
	reason    string
	stack     []trace.StackFrame
	since     trace.Time // the last state change
	seenStart bool       // existed at the window's start: its wait began before `since`
	created   trace.Time // inside the window only
	creator   trace.GoID
	creation  []trace.StackFrame
	createdIn bool
}

func main() {
	name := flag.String("name", "", "the trace's name in messages (default: the path)")
	end := flag.String("end", "", "the wall-clock time of the trace's end, RFC 3339, for traces "+
		"without a clock snapshot (before Go 1.25)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: leakscan-gotrace [-name NAME] [-end RFC3339] TRACE|-")
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	path := flag.Arg(0)
	if *name == "" {
		*name = path
	}
	if err := run(path, *name, *end, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %s\n", *name, oneLine(err.Error()))
		os.Exit(1)
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func run(path, name, end string, out io.Writer) error {
	var in io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	r := bufio.NewReaderSize(in, 1<<16)
	if magic, _ := r.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		z, err := gzip.NewReader(r)
		if err != nil {
			return fmt.Errorf("gzip: %v", err)
		}
		r = bufio.NewReaderSize(z, 1<<16)
	}
	head, _ := r.Peek(16)
	version, ok := headerVersion(head)
	if !ok {
		return errors.New("not a Go execution trace (expected the header 'go 1.NN trace')")
	}
	if version < firstVersion {
		return fmt.Errorf("a Go 1.%d execution trace: the format before Go 1.22 is not read; "+
			"take the trace from a program built with Go 1.22 or later", version)
	}
	var fallback time.Time
	if end != "" {
		t, err := time.Parse(time.RFC3339Nano, end)
		if err != nil {
			return fmt.Errorf("-end: %v", err)
		}
		fallback = t
	}
	w, err := readTrace(r)
	if err != nil {
		return err
	}
	p := w.profile(name, version, fallback)
	return p.Write(out)
}

// headerVersion reads "go 1.NN trace" padded with NULs to 16 bytes (internal/trace/version).
func headerVersion(head []byte) (int, bool) {
	var v int
	if len(head) < 16 || !bytes.HasPrefix(head, []byte("go 1.")) {
		return 0, false
	}
	if _, err := fmt.Sscanf(string(head), "go 1.%d trace", &v); err != nil {
		return 0, false
	}
	return v, true
}

type window struct {
	start, end trace.Time
	seen       bool
	goroutines map[trace.GoID]*goroutine
	// The latest clock snapshot (Go 1.25+) dates trace times.
	clockTrace trace.Time
	clockWall  time.Time
	births     map[string]int // by creation site
	deaths     map[string]int
	// By blocking site (blockSite): how many goroutines blocked there another goroutine woke,
	// and by waker site (wakerSite) how many of them each woke.
	woken  map[string]int
	wakers map[string]map[string]int
	// By blocking site: the goroutines that woke one there (at most maxWakerIDs, else
	// wakerOverflow), and when each goroutine that ended in the window ended.
	wakerIDs      map[string]map[trace.GoID]bool
	wakerOverflow map[string]bool
	endedAt       map[trace.GoID]trace.Time
	lastWoken     map[string]trace.Time // by blocking site: its latest wake
}

// A site's wakers are remembered one by one up to this many: past it, whether every one of them
// ended is not said.
const maxWakerIDs = 4096

func readTrace(in io.Reader) (*window, error) {
	r, err := trace.NewReader(in)
	if err != nil {
		return nil, err
	}
	w := &window{goroutines: map[trace.GoID]*goroutine{}, births: map[string]int{},
		deaths: map[string]int{}, woken: map[string]int{}, wakers: map[string]map[string]int{},
		wakerIDs: map[string]map[trace.GoID]bool{}, wakerOverflow: map[string]bool{},
		endedAt: map[trace.GoID]trace.Time{}, lastWoken: map[string]trace.Time{}}
	for {
		e, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("truncated or corrupt trace: %v", err)
		}
		w.event(e)
	}
	if !w.seen {
		return nil, errors.New("a Go execution trace with no events")
	}
	return w, nil
}

func frames(s trace.Stack) []trace.StackFrame {
	var out []trace.StackFrame
	for f := range s.Frames() {
		out = append(out, f)
	}
	return out
}

func (w *window) event(e trace.Event) {
	t := e.Time()
	if !w.seen {
		w.start, w.seen = t, true
	}
	if t > w.end {
		w.end = t
	}
	switch e.Kind() {
	case trace.EventSync:
		if c := e.Sync().ClockSnapshot; c != nil {
			w.clockTrace, w.clockWall = c.Trace, c.Wall
		}
		return
	case trace.EventStateTransition:
	default:
		// A running goroutine's latest stack is where it was last seen.
		if g := w.goroutines[e.Goroutine()]; g != nil && e.Stack() != trace.NoStack {
			g.stack = frames(e.Stack())
		}
		return
	}
	st := e.StateTransition()
	if st.Resource.Kind != trace.ResourceGoroutine {
		return
	}
	id := st.Resource.Goroutine()
	from, to := st.Goroutine()
	g := w.goroutines[id]
	known := g != nil
	if g == nil {
		g = &goroutine{id: id, since: t}
		if from == trace.GoNotExist {
			g.created, g.createdIn = t, true
			g.creator = e.Goroutine()
			g.creation = frames(e.Stack())
			w.births[site(g.creation)]++
		} else {
			// Stated late in the window (the runtime states goroutines that did not run at a
			// generation's end), but in this state since the window began: a change would
			// have been an event.
			g.seenStart, g.since = true, w.start
		}
		w.goroutines[id] = g
	}
	if to == trace.GoNotExist {
		if g.createdIn {
			w.deaths[site(g.creation)]++
		}
		w.endedAt[id] = t
		delete(w.goroutines, id)
		return
	}
	// Woken by a goroutine the event names: counted at the site it blocked on, before its state
	// and stack move on.
	if known && from == trace.GoWaiting && to == trace.GoRunnable &&
		e.Goroutine() != trace.NoGoroutine && e.Goroutine() != id {
		at := blockSite(g)
		w.woken[at]++
		if w.wakers[at] == nil {
			w.wakers[at] = map[string]int{}
		}
		w.wakers[at][w.wakerSite(e)]++
		w.lastWoken[at] = t
		ids := w.wakerIDs[at]
		if ids == nil {
			ids = map[trace.GoID]bool{}
			w.wakerIDs[at] = ids
		}
		if len(ids) < maxWakerIDs {
			ids[e.Goroutine()] = true
		} else if !ids[e.Goroutine()] {
			w.wakerOverflow[at] = true
		}
	}
	// Each generation of the trace states every goroutine again (from "undetermined", or from
	// its state to the same): that is no change.
	if known && from != to && from != trace.GoUndetermined {
		g.since, g.seenStart = t, false
	}
	if !known || (from != trace.GoUndetermined && from != to) {
		g.reason = st.Reason
	}
	g.state = to
	// The transition's own stack is the goroutine's (its start, or where it was at the window's
	// start); otherwise a goroutine that blocks or stops is the one running the event.
	if st.Stack != trace.NoStack {
		g.stack = frames(st.Stack)
	} else if e.Goroutine() == id && e.Stack() != trace.NoStack {
		g.stack = frames(e.Stack())
	}
}

// blockSite names where a waiting goroutine blocked: its first frame outside the standard
// library (else its first frame) and its status, as leakscan's clusters split goroutines.
func blockSite(g *goroutine) string {
	if len(g.stack) == 0 {
		return status(g)
	}
	at := g.stack[0]
	for _, f := range g.stack {
		if !standardLibrary(f.Func) {
			at = f
			break
		}
	}
	return frameText(at) + " " + status(g)
}

// standardLibrary tells Go's own packages by their path's first element, which has no dot
// ("sync", "net/http", "runtime"), from a module's ("example.com/x") and main.
func standardLibrary(function string) bool {
	path := function
	if slash := strings.LastIndexByte(path, '/'); slash >= 0 {
		if dot := strings.IndexByte(path[slash:], '.'); dot >= 0 {
			path = path[:slash+dot]
		}
	} else if dot := strings.IndexByte(path, '.'); dot >= 0 {
		path = path[:dot]
	}
	first, _, _ := strings.Cut(path, "/")
	return first != "main" && !strings.Contains(first, ".")
}

// wakerSite names the goroutine that woke another by where it was: the first frame of the
// program's own code in the waking event's stack (a send, an Unlock), else its creation site.
func (w *window) wakerSite(e trace.Event) string {
	for _, f := range frames(e.Stack()) {
		if !standardLibrary(f.Func) {
			return frameText(f)
		}
	}
	if waker := w.goroutines[e.Goroutine()]; waker != nil && len(waker.creation) > 0 {
		return "a goroutine created by " + frameText(waker.creation[0])
	}
	return "the runtime or the standard library"
}

// wakersText words a site's wakers, the most frequent first (three at most): "1172 times by
// main.feed at /app/main.go:40; 3 times by ...".
func wakersText(wakers map[string]int) string {
	sites := make([]string, 0, len(wakers))
	for s := range wakers {
		sites = append(sites, s)
	}
	sort.Slice(sites, func(i, j int) bool {
		if wakers[sites[i]] != wakers[sites[j]] {
			return wakers[sites[i]] > wakers[sites[j]]
		}
		return sites[i] < sites[j]
	})
	var parts []string
	for i, s := range sites {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("%d more sites", len(sites)-3))
			break
		}
		times := "times"
		if wakers[s] == 1 {
			times = "time"
		}
		parts = append(parts, fmt.Sprintf("%d %s by %s", wakers[s], times, s))
	}
	return strings.Join(parts, "; ")
}

func site(stack []trace.StackFrame) string {
	if len(stack) == 0 {
		return ""
	}
	return frameText(stack[0])
}

func frameText(f trace.StackFrame) string {
	return fmt.Sprintf("%s at %s:%d", f.Func, f.File, f.Line)
}

// wall converts a trace time to the wall clock: through the clock snapshot where the trace has
// one, else from the fallback given for the trace's end.
func (w *window) wall(t trace.Time, fallback time.Time) (time.Time, bool) {
	if !w.clockWall.IsZero() {
		return w.clockWall.Add(time.Duration(t - w.clockTrace)), true
	}
	if !fallback.IsZero() {
		return fallback.Add(-time.Duration(w.end - t)), true
	}
	return time.Time{}, false
}

// status words a state as Go's goroutine dumps do, so that clusters from a trace and from a
// debug=2 dump of one program agree. The trace's block reasons are coarser ("sync",
// "network"): the stack tells which.
func status(g *goroutine) string {
	switch g.state {
	case trace.GoRunning:
		return "running"
	case trace.GoRunnable:
		return "runnable"
	case trace.GoSyscall:
		return "syscall"
	case trace.GoWaiting:
	default:
		return "waiting"
	}
	// A nil channel blocks "forever", as Go's dumps say.
	nilChan := ""
	if g.reason == "forever" {
		nilChan = " (nil chan)"
	}
	for _, f := range g.stack {
		switch f.Func {
		case "runtime.chanrecv", "runtime.chanrecv1", "runtime.chanrecv2":
			return "chan receive" + nilChan
		case "runtime.chansend", "runtime.chansend1":
			return "chan send" + nilChan
		case "runtime.selectgo":
			return "select"
		case "runtime.block":
			return "select (no cases)"
		case "sync.(*WaitGroup).Wait":
			return "sync.WaitGroup.Wait"
		case "sync.(*Mutex).Lock", "sync.(*Mutex).lockSlow", "internal/sync.(*Mutex).lockSlow":
			return "sync.Mutex.Lock"
		case "sync.(*RWMutex).RLock":
			return "sync.RWMutex.RLock"
		case "sync.(*RWMutex).Lock":
			return "sync.RWMutex.Lock"
		case "sync.(*Cond).Wait":
			return "sync.Cond.Wait"
		case "internal/poll.runtime_pollWait":
			return "IO wait"
		case "time.Sleep":
			return "sleep"
		}
	}
	switch g.reason {
	case "network":
		return "IO wait"
	case "forever":
		return "select (no cases)"
	case "sync":
		return "semacquire"
	case "sync.(*Cond).Wait":
		return "sync.Cond.Wait"
	case "", "unspecified":
		return "waiting"
	}
	return g.reason
}

func (w *window) profile(name string, version int, fallback time.Time) *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "goroutine", Unit: "count"}},
		PeriodType: &profile.ValueType{Type: "goroutine", Unit: "count"},
		Period:     1,
	}
	if end, ok := w.wall(w.end, fallback); ok {
		p.TimeNanos = end.UnixNano()
	}
	p.DurationNanos = int64(w.end - w.start)
	p.Comments = []string{fmt.Sprintf("leakscan: %s (Go 1.%d execution trace, %d goroutines "+
		"alive at its end, window %s)", name, version, len(w.goroutines),
		time.Duration(w.end-w.start).Round(time.Millisecond))}
	for _, s := range sortedSites(w.births) {
		p.Comments = append(p.Comments, fmt.Sprintf("leakscan: births %d deaths %d in the "+
			"window at %s", w.births[s], w.deaths[s], s))
	}

	functions := map[[2]string]*profile.Function{}
	locations := map[trace.StackFrame]*profile.Location{}
	location := func(f trace.StackFrame) *profile.Location {
		f.PC = 0
		if l := locations[f]; l != nil {
			return l
		}
		fn := functions[[2]string{f.Func, f.File}]
		if fn == nil {
			fn = &profile.Function{ID: uint64(len(p.Function) + 1), Name: f.Func,
				SystemName: f.Func, Filename: f.File}
			functions[[2]string{f.Func, f.File}] = fn
			p.Function = append(p.Function, fn)
		}
		l := &profile.Location{ID: uint64(len(p.Location) + 1),
			Line: []profile.Line{{Function: fn, Line: int64(f.Line)}}}
		locations[f] = l
		p.Location = append(p.Location, l)
		return l
	}

	ids := make([]trace.GoID, 0, len(w.goroutines))
	for id := range w.goroutines {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		g := w.goroutines[id]
		s := &profile.Sample{
			Value:    []int64{1},
			Label:    map[string][]string{"state": {status(g)}},
			NumLabel: map[string][]int64{"goid": {int64(id)}},
			NumUnit:  map[string][]string{},
		}
		for _, f := range g.stack {
			if f.Func == "runtime.goexit" {
				continue
			}
			s.Location = append(s.Location, location(f))
		}
		if g.state == trace.GoWaiting {
			s.NumLabel["wait"] = []int64{int64(w.end - g.since)}
			s.NumUnit["wait"] = []string{"nanoseconds"}
			if g.seenStart {
				// Blocked since before the window: at least that long.
				s.Label["wait_precision"] = []string{"lower_bound"}
				s.Label["blocked_whole_window"] = []string{"true"}
			}
			s.NumLabel["site_woken"] = []int64{int64(w.woken[blockSite(g)])}
			if wakers := w.wakers[blockSite(g)]; len(wakers) > 0 {
				s.Label["site_wakers"] = []string{wakersText(wakers)}
			}
			if last, ok := w.lastWoken[blockSite(g)]; ok {
				if at, ok := w.wall(last, fallback); ok {
					s.Label["site_last_woken_at"] = []string{
						at.UTC().Format("2006-01-02T15:04:05.000000000Z")}
				}
			}
			// Every goroutine that woke one here has ended: when the last of them did.
			if last, ok := w.lastWakerEnded(blockSite(g)); ok {
				if at, ok := w.wall(last, fallback); ok {
					s.Label["site_wakers_ended_at"] = []string{
						at.UTC().Format("2006-01-02T15:04:05.000000000Z")}
				}
			}
		}
		if g.createdIn {
			if at, ok := w.wall(g.created, fallback); ok {
				s.Label["created_at"] = []string{at.UTC().Format("2006-01-02T15:04:05.000000000Z")}
				s.Label["created_at_precision"] = []string{"measured"}
			}
			// Its creation site's turnover in the window, as the eBPF tracer reports it.
			s.NumLabel["site_born"] = []int64{int64(w.births[site(g.creation)])}
			s.NumLabel["site_died"] = []int64{int64(w.deaths[site(g.creation)])}
			if g.creator != trace.NoGoroutine && g.creator > 0 {
				s.NumLabel["creator_goid"] = []int64{int64(g.creator)}
			}
			if len(g.creation) > 0 {
				s.Label["created_by"] = []string{frameText(g.creation[0])}
				var parts []string
				for i, f := range g.creation {
					if i == maxCreationFrames || f.Func == "runtime.goexit" {
						break
					}
					parts = append(parts, frameText(f))
				}
				s.Label["creation_stack"] = []string{strings.Join(parts, " <- ")}
			}
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}

// lastWakerEnded tells whether every goroutine that woke one blocked at `at` in the window has
// ended since, and when the last of them ended.
func (w *window) lastWakerEnded(at string) (trace.Time, bool) {
	ids := w.wakerIDs[at]
	if len(ids) == 0 || w.wakerOverflow[at] {
		return 0, false
	}
	var last trace.Time
	for id := range ids {
		ended, ok := w.endedAt[id]
		if !ok {
			return 0, false
		}
		if ended > last {
			last = ended
		}
	}
	return last, true
}

func sortedSites(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for s := range m {
		if s != "" {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
