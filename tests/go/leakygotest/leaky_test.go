package leakygotest

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func enabled(t *testing.T) {
	if os.Getenv("LEAKYGOTEST") != t.Name() {
		t.Skip("set LEAKYGOTEST=" + t.Name())
	}
}

// TestLeaks leaves three goroutines behind; goleak reports them.
func TestLeaks(t *testing.T) {
	enabled(t)
	defer goleak.VerifyNone(t)
	StartWorkers(t.Name(), 3)
}

// TestHang waits forever beside a goroutine it started; -test.timeout ends it with a dump.
func TestHang(t *testing.T) {
	enabled(t)
	StartWorkers(t.Name(), 2)
	WaitForever()
}

// TestPanics dereferences a nil map entry's pointer beside a goroutine it started: go test
// prints the panic and every goroutine.
func TestPanics(t *testing.T) {
	enabled(t)
	StartWorkers(t.Name(), 1)
	var table map[string]*struct{ n int }
	t.Log(table["missing"].n)
}
