// Command wakepool records a Go execution trace (runtime/trace) of workers that all wait on one
// line: a pool's workers, woken job after job by short-lived senders, and orphans started on
// channels that nobody feeds or closes, blocked there for good. The orphans are made across the
// run, before the window, among thousands of senders, as a leak accumulates.
//
// Usage: wakepool -o TRACE [-window 2s] [-orphans 30] [-feed-for D]
//
// It prints "ORPHANS N" once they are all blocked, then "TRACED TRACE" and exits.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/trace"
	"sync/atomic"
	"time"
)

var done atomic.Int64

// worker serves one channel: the pool's or an orphan's.
func worker(jobs <-chan int) {
	for j := range jobs { // every worker waits here
		done.Add(int64(j))
	}
}

// leakOne starts a worker on a channel nothing ever sends on (the bug: the channel was meant to
// be registered with the feeder).
func leakOne() {
	go worker(make(chan int))
}

func main() {
	out := flag.String("o", "", "where the trace goes")
	window := flag.Duration("window", 2*time.Second, "the trace's length")
	orphans := flag.Int("orphans", 30, "workers leaked before the window")
	feedFor := flag.Duration("feed-for", 0, "stop feeding the pool this long into the window "+
		"(0: feed to its end)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: wakepool -o TRACE [-window 2s] [-orphans 30]")
		os.Exit(2)
	}
	jobs := make(chan int)
	for i := 0; i < 8; i++ {
		go worker(jobs)
	}
	stop := make(chan struct{})
	go func() {
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			go func() { jobs <- i }()
			time.Sleep(200 * time.Microsecond)
		}
	}()
	for i := 0; i < *orphans; i++ {
		leakOne()
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Println("ORPHANS", *orphans)

	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := trace.Start(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *feedFor > 0 && *feedFor < *window {
		// The senders all end inside the window: nothing that woke a worker is left.
		time.Sleep(*feedFor)
		close(stop)
		time.Sleep(*window - *feedFor)
	} else {
		time.Sleep(*window)
		defer close(stop)
	}
	trace.Stop()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("TRACED", *out)
}
