// Command leaktrace is the target of leakscan's eBPF tracer tests and benchmark. It creates
// goroutines at known go statements on request, so a trace can be checked against what the
// program itself counts:
//
//	GET /leak?n=N    N goroutines blocked forever receiving (go statement marked "site:recv")
//	GET /lock?n=N    N goroutines blocked forever on a held mutex ("site:lock")
//	GET /churn?n=N   N goroutines that exit before the response ("site:churn")
//	GET /hello       one short-lived goroutine per request ("site:hello"): the benchmark
//	GET /pulse?n=N   N goroutines that wake every 100 ms and block again at the same receive
//	                 ("site:pulse"): each of their waits is short however long they live
//	GET /move?n=N    N goroutines blocked receiving in moveLater ("site:move") until the next
//	GET /moveon, which sends them on to block forever in blockOnReceive: a stack that changes
//	GET /exec        answers, then replaces itself with "sleep 600" under the same pid
//
// Each request answers "created N at UNIXNANO-UNIXNANO" (before and after the go statements).
// SIGUSR1 prints "GOROUTINES n" with runtime.NumGoroutine(). Built three ways by
// scripts/build-go.sh: plain, stripped (-ldflags='-s -w') and with cgo.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
)

var (
	never = make(chan struct{}) // never closed: receivers leak
	held  sync.Mutex            // locked in main and never unlocked
)

// cgoCheck is set by cgo.go when built with cgo.
var cgoCheck func() int

func blockOnReceive() { <-never }

func blockOnLock() {
	held.Lock()
	held.Unlock() // never reached
}

func shortLived(done *sync.WaitGroup) { done.Done() }

var (
	movers sync.Mutex
	moveOn = make(chan struct{}) // closed (and replaced) by /moveon
)

func moveLater(release <-chan struct{}) {
	<-release
	blockOnReceive()
}

func answer(results chan<- int, x int) { results <- x * 2 }

func pulse(tick <-chan struct{}) {
	for range tick {
	}
}

func feed(ticks []chan struct{}) {
	ticker := time.NewTicker(100 * time.Millisecond)
	for range ticker.C {
		for _, tick := range ticks {
			tick <- struct{}{}
		}
	}
}

func count(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil || n < 0 {
		return 1
	}
	return n
}

func handleLeak(w http.ResponseWriter, r *http.Request) {
	n := count(r)
	start := time.Now().UnixNano()
	for i := 0; i < n; i++ {
		go blockOnReceive() // site:recv
	}
	fmt.Fprintf(w, "created %d at %d-%d\n", n, start, time.Now().UnixNano())
}

func handleLock(w http.ResponseWriter, r *http.Request) {
	n := count(r)
	start := time.Now().UnixNano()
	for i := 0; i < n; i++ {
		go blockOnLock() // site:lock
	}
	fmt.Fprintf(w, "created %d at %d-%d\n", n, start, time.Now().UnixNano())
}

func handleChurn(w http.ResponseWriter, r *http.Request) {
	n := count(r)
	start := time.Now().UnixNano()
	var done sync.WaitGroup
	done.Add(n)
	for i := 0; i < n; i++ {
		go shortLived(&done) // site:churn
	}
	done.Wait()
	fmt.Fprintf(w, "created %d at %d-%d\n", n, start, time.Now().UnixNano())
}

func handlePulse(w http.ResponseWriter, r *http.Request) {
	n := count(r)
	start := time.Now().UnixNano()
	ticks := make([]chan struct{}, n)
	for i := range ticks {
		ticks[i] = make(chan struct{})
		go pulse(ticks[i]) // site:pulse
	}
	go feed(ticks)
	fmt.Fprintf(w, "created %d at %d-%d\n", n, start, time.Now().UnixNano())
}

func handleMove(w http.ResponseWriter, r *http.Request) {
	n := count(r)
	movers.Lock()
	release := moveOn
	movers.Unlock()
	start := time.Now().UnixNano()
	for i := 0; i < n; i++ {
		go moveLater(release) // site:move
	}
	fmt.Fprintf(w, "created %d at %d-%d\n", n, start, time.Now().UnixNano())
}

func handleMoveOn(w http.ResponseWriter, r *http.Request) {
	movers.Lock()
	close(moveOn)
	moveOn = make(chan struct{})
	movers.Unlock()
	fmt.Fprintf(w, "created 0 at %d-%d\n", time.Now().UnixNano(), time.Now().UnixNano())
}

func handleExec(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "exec sleep\n")
	w.(http.Flusher).Flush()
	go func() {
		time.Sleep(100 * time.Millisecond)
		if err := syscall.Exec("/bin/sleep", []string{"sleep", "600"}, os.Environ()); err != nil {
			log.Fatal(err)
		}
	}()
}

func handleHello(w http.ResponseWriter, r *http.Request) {
	results := make(chan int, 1)
	go answer(results, len(r.URL.Path)) // site:hello
	fmt.Fprintf(w, "hello %d\n", <-results)
}

func printOnSignal(signals <-chan os.Signal) {
	for range signals {
		fmt.Printf("GOROUTINES %d\n", runtime.NumGoroutine())
	}
}

func main() {
	held.Lock()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGUSR1)
	go printOnSignal(signals)

	mux := http.NewServeMux()
	mux.HandleFunc("/leak", handleLeak)
	mux.HandleFunc("/lock", handleLock)
	mux.HandleFunc("/churn", handleChurn)
	mux.HandleFunc("/hello", handleHello)
	mux.HandleFunc("/pulse", handlePulse)
	mux.HandleFunc("/move", handleMove)
	mux.HandleFunc("/moveon", handleMoveOn)
	mux.HandleFunc("/exec", handleExec)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	if cgoCheck != nil {
		fmt.Printf("CGO %d\n", cgoCheck())
	}
	fmt.Printf("LISTENING %s\n", ln.Addr()) // os.Stdout is unbuffered
	log.Fatal((&http.Server{Handler: mux}).Serve(ln))
}
