//go:build !go1.24

package main

// Before Go 1.24 every sync wait is a bare semaphore wait.
const (
	mutexWaitReason     = "semacquire"
	waitGroupWaitReason = "semacquire"
)
