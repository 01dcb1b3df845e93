//go:build cgo

package main

// static int leaktrace_add(int a, int b) { return a + b; }
import "C"

func init() { cgoCheck = func() int { return int(C.leaktrace_add(1, 2)) } }
