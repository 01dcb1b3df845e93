//go:build cgo

// A cgo build (spike-cgo): the runtime then keeps g's for C threads' callbacks (_Gdeadextra
// from Go 1.26), which are none of the spike's.

package main

// static int spike_add(int a, int b) { return a + b; }
import "C"

func init() { cgoCheck = func() int { return int(C.spike_add(1, 2)) } }
