// Command zoo starts a known population of blocked goroutines so that
// goroutine-dump parsers can be checked against ground truth.
//
// Before anything else it prints one line per population:
//
//	EXPECT <function> <count> <state>
//
// where <function> is the package-main function the goroutines are parked in
// and <state> is the bracketed goroutine state exactly as Go 1.19 prints it in
// debug=2 / traceback output (without any ", N minutes" wait time), with
// spaces replaced by "_".
//
// Modes (-mode):
//
//	serve    (default) serve net/http/pprof on 127.0.0.1:0, print
//	         "LISTENING 127.0.0.1:PORT" and block until killed. Sending
//	         SIGQUIT makes the runtime dump all goroutines to stderr.
//	panic    panic("leakscan zoo panic") from a goroutine once the population
//	         is parked. The runtime prints every goroutine only when run with
//	         GOTRACEBACK=all (or higher); by default just the panicking one.
//	deadlock only the channel/sync populations (no network, timers or
//	         syscalls, which would stop deadlock detection), then main blocks
//	         on a channel receive and the runtime reports
//	         "fatal error: all goroutines are asleep - deadlock!".
//
// main.main is parked too, outside the table: [IO wait] in http.Serve
// (serve), [select (no cases)] (panic) or [chan receive] (deadlock).
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"
)

type population struct {
	fn       string // function name in package main
	count    int
	state    string // bracket state as printed by Go 1.19
	deadlock bool   // included in -mode=deadlock
	run      func() // body of one goroutine; it never returns
}

var (
	mu     sync.Mutex // held by main forever
	wg     sync.WaitGroup
	condMu sync.Mutex
	cond   = sync.NewCond(&condMu)
	// One channel per population: a shared one would let senders and
	// receivers pair up and finish.
	sendCh    = make(chan int)
	recvCh    = make(chan int)
	selectCh1 = make(chan int)
	selectCh2 = make(chan int)
	lockedCh  = make(chan int)
	labeledCh = make(chan int)
	pipeFDs   [2]int
)

// The population table: the only place counts and states are defined.
var populations = []population{
	{"blockChanSend", 3, "chan send", true, blockChanSend},
	{"blockChanReceive", 4, "chan receive", true, blockChanReceive},
	{"blockSelect", 5, "select", true, blockSelect},
	{"blockMutex", 6, mutexWaitReason, true, blockMutex},
	{"blockWaitGroup", 7, waitGroupWaitReason, true, blockWaitGroup},
	{"blockCond", 8, "sync.Cond.Wait", true, blockCond},
	{"blockSleep", 9, "sleep", false, blockSleep},
	{"blockIOWait", 2, "IO wait", false, blockIOWait},
	{"blockSyscall", 1, "syscall", false, blockSyscall},
	{"blockLocked", 1, "chan receive, locked to thread", true, blockLocked},
	{"blockNilChan", 2, "chan receive (nil chan)", true, blockNilChan},
	{"blockLabeled", 3, "chan receive", true, blockLabeled},
	{"blockSelectNoCases", 1, "select (no cases)", true, blockSelectNoCases},
}

func blockChanSend()    { sendCh <- 1 }
func blockChanReceive() { <-recvCh }
func blockMutex()       { mu.Lock() }
func blockWaitGroup()   { wg.Wait() }
func blockSleep()       { time.Sleep(time.Hour) }
func blockNilChan()     { <-(chan int)(nil) }
func blockLabeled()     { <-labeledCh }
func blockSelectNoCases() {
	select {}
}

func blockSelect() {
	select {
	case <-selectCh1:
	case selectCh2 <- 1:
	}
}

func blockCond() {
	condMu.Lock()
	cond.Wait()
}

// blockIOWait reads from a loopback TCP connection whose peer stays open
// and never writes.
func blockIOWait() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	peer, err := ln.Accept()
	if err != nil {
		log.Fatal(err)
	}
	ln.Close()
	c.Read(make([]byte, 1))
	runtime.KeepAlive(peer) // an unreachable peer could be closed by its finalizer
}

// blockSyscall reads a blocking (not poller-managed) pipe fd, so the
// goroutine stays in the kernel and is reported as [syscall].
func blockSyscall() {
	syscall.Read(pipeFDs[0], make([]byte, 1))
}

func blockLocked() {
	runtime.LockOSThread()
	<-lockedCh
}

// start starts one population; the labeled one from inside pprof.Do so its
// goroutines inherit the labels.
func start(p population) {
	if p.fn == "blockLabeled" {
		labels := pprof.Labels("leakscan_test", "labeled", "route", "/api/orders")
		pprof.Do(context.Background(), labels, func(context.Context) { startN(p) })
		return
	}
	startN(p)
}

func startN(p population) {
	for i := 0; i < p.count; i++ {
		go p.run()
	}
}

func main() {
	mode := flag.String("mode", "serve", "serve, panic or deadlock (sigquit: use serve and send SIGQUIT)")
	scale := flag.Int("scale", 1, "multiply every population count by `N`")
	flag.Parse()
	if *scale < 1 {
		log.Fatal("-scale must be >= 1")
	}
	switch *mode {
	case "serve", "sigquit", "panic", "deadlock":
	default:
		log.Fatalf("unknown -mode %q", *mode)
	}

	var active []population
	for _, p := range populations {
		if *mode == "deadlock" && !p.deadlock {
			continue
		}
		p.count *= *scale
		active = append(active, p)
	}
	out := bufio.NewWriter(os.Stdout)
	for _, p := range active {
		fmt.Fprintf(out, "EXPECT %s %d %s\n", p.fn, p.count, strings.ReplaceAll(p.state, " ", "_"))
	}
	out.Flush()

	mu.Lock()
	wg.Add(1)
	if err := syscall.Pipe(pipeFDs[:]); err != nil {
		log.Fatal(err)
	}
	for _, p := range active {
		start(p)
	}
	if missing := waitParked(active, 5*time.Second); missing != "" {
		fmt.Fprintf(os.Stderr, "zoo: warning: population not parked as expected: %s\n", missing)
	}

	switch *mode {
	case "panic":
		go zooPanic()
		select {}
	case "deadlock":
		<-make(chan int)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(out, "LISTENING %s\n", ln.Addr())
	out.Flush()
	log.Fatal(http.Serve(ln, nil))
}

func zooPanic() { panic("leakscan zoo panic") }

// waitParked polls the debug=2 goroutine dump until every population shows
// its expected count in its expected state, or the timeout passes. It returns
// a description of the first mismatch, or "" on success.
func waitParked(active []population, timeout time.Duration) string {
	deadline := time.Now().Add(timeout)
	for {
		var buf bytes.Buffer
		pprof.Lookup("goroutine").WriteTo(&buf, 2)
		missing := ""
		for _, p := range active {
			n := 0
			for _, g := range strings.Split(buf.String(), "\n\n") {
				if strings.Contains(g, " ["+p.state+"]:\n") && strings.Contains(g, "\nmain."+p.fn+"(") {
					n++
				}
			}
			if n != p.count {
				missing = fmt.Sprintf("%s: %d of %d in [%s]", p.fn, n, p.count, p.state)
				break
			}
		}
		if missing == "" || time.Now().After(deadline) {
			return missing
		}
		time.Sleep(10 * time.Millisecond)
	}
}
