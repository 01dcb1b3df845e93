// Command bigleak is the benchmark population: -n goroutines blocked sending
// on one channel (leakySend), 10,000 in WaitGroup.Wait (waitForever) and an
// idle pool of 16 workers (worker). It serves net/http/pprof on 127.0.0.1:0,
// prints "LISTENING 127.0.0.1:PORT" and blocks until killed.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"runtime"
	"sync"
	"time"
)

const (
	waiters = 10000
	workers = 16
)

var (
	leak = make(chan int) // never received from
	wg   sync.WaitGroup   // never reaches zero
	jobs = make(chan func())
)

func leakySend(i int) { leak <- i }

func waitForever() { wg.Wait() }

func worker(id int) {
	for job := range jobs {
		job()
	}
}

func main() {
	n := flag.Int("n", 100000, "number of leakySend goroutines")
	flag.Parse()

	base := runtime.NumGoroutine()
	wg.Add(1)
	for i := 0; i < *n; i++ {
		go leakySend(i)
	}
	for i := 0; i < waiters; i++ {
		go waitForever()
	}
	for i := 0; i < workers; i++ {
		go worker(i)
	}
	// Goroutines park right after they first run; give the last ones a
	// moment after they all exist.
	want := base + *n + waiters + workers
	for i := 0; i < 100 && runtime.NumGoroutine() < want; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("LISTENING %s\n", ln.Addr()) // os.Stdout is unbuffered
	log.Fatal(http.Serve(ln, nil))
}
