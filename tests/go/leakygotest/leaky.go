// Package leakygotest leaks goroutines under `go test` for leakscan's tests: TestLeaks fails
// goleak's check, TestHang outlives -test.timeout. Neither runs unless asked for by name.
package leakygotest

import (
	"context"
	"runtime/pprof"
	"sync"
)

var never = make(chan struct{})

// ReceiveForever blocks on a channel nobody sends on.
func ReceiveForever() { <-never }

// StartWorkers starts n goroutines that wait for a result nobody sends, labelled with the test
// that started them.
func StartWorkers(test string, n int) {
	pprof.Do(context.Background(), pprof.Labels("test", test), func(context.Context) {
		for i := 0; i < n; i++ {
			go ReceiveForever()
		}
	})
}

// WaitForever waits on a WaitGroup nobody marks done.
func WaitForever() {
	var wg sync.WaitGroup
	wg.Add(1)
	wg.Wait()
}
