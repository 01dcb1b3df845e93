//go:build go1.25

package main

// Go 1.25 names sync.WaitGroup waits too (synctest tells durable waits from others by it).
const (
	mutexWaitReason     = "sync.Mutex.Lock"
	waitGroupWaitReason = "sync.WaitGroup.Wait"
)
