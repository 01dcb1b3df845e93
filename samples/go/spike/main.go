// Spikes -n goroutines that all end, then idles: what a spike leaves behind (issue 25). allgs
// keeps every g, and dead g's on the free lists keep their stacks until a GC frees them. It
// prints its own runtime.MemStats.StackInuse after the spike, and again after runtime.GC() on
// each SIGUSR2, for the tracer's tests to compare with what it reads.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"
)

func stackInuse() uint64 {
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	return stats.StackInuse
}

// spike starts n goroutines, holds them all alive at once (so the runtime makes n g's), then lets
// them end: by returning, or by runtime.Goexit with goexit. With hold, it says "HOLDING n" (and
// that it is ready) and keeps them alive until the first SIGUSR1.
func spike(n int, goexit bool, hold chan os.Signal) {
	var started, ended sync.WaitGroup
	release := make(chan struct{})
	started.Add(n)
	ended.Add(n)
	for i := 0; i < n; i++ {
		go func() { // site:spike
			defer ended.Done()
			started.Done()
			<-release
			if goexit {
				runtime.Goexit()
			}
		}()
	}
	started.Wait()
	if hold != nil {
		fmt.Printf("HOLDING %d\nLISTENING -\n", n)
		<-hold
	}
	close(release)
	ended.Wait()
}

// cgoCheck is set by cgo.go when built with cgo.
var cgoCheck func() int

func main() {
	n := flag.Int("n", 20000, "goroutines in the spike")
	goexit := flag.Bool("goexit", false, "end them with runtime.Goexit")
	holding := flag.Bool("hold", false, `keep them alive, after printing "HOLDING n", until SIGUSR1`)
	flag.Parse()
	var hold chan os.Signal
	if *holding {
		hold = make(chan os.Signal, 1)
		signal.Notify(hold, syscall.SIGUSR1)
	}
	// Before the spike, so that its goroutine is none of the spike's g's.
	gc := make(chan os.Signal, 1)
	signal.Notify(gc, syscall.SIGUSR2)
	before := runtime.NumGoroutine()
	spike(*n, *goexit, hold)
	// Done() runs in a deferred call: wait (bounded) until the last of them is dead too.
	for i := 0; i < 1000 && runtime.NumGoroutine() > before; i++ {
		time.Sleep(time.Millisecond)
	}
	if cgoCheck != nil && cgoCheck() != 3 {
		panic("cgo")
	}
	fmt.Printf("SPIKE %d GOROUTINES %d STACKINUSE %d\n", *n, runtime.NumGoroutine(), stackInuse())
	if !*holding {
		fmt.Println("LISTENING -")
	}
	for range gc {
		runtime.GC()
		fmt.Printf("GC STACKINUSE %d\n", stackInuse())
	}
}
