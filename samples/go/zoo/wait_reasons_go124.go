//go:build go1.24 && !go1.25

package main

// Go 1.24 names sync.Mutex waits; sync.WaitGroup still waits on a bare semaphore.
const (
	mutexWaitReason     = "sync.Mutex.Lock"
	waitGroupWaitReason = "semacquire"
)
