// Bugs reported in etcd (gRPC proxy) and cockroachdb.
package main

import (
	"context"
	"sync"
	"time"
)

// etcd#6873 https://github.com/etcd-io/etcd/pull/6873
// Mutex held while waiting on a channel: stopping the proxy's watch broadcasts holds their lock
// and waits for the coalesce loop to exit (donec), but the loop is waiting for that lock.

type etcdWatchBroadcasts struct {
	mu      sync.Mutex
	updatec chan struct{}
	stopc   chan struct{}
	donec   chan struct{}
	merged  int
}

func (wbs *etcdWatchBroadcasts) coalesce() {
	wbs.mu.Lock() // blocks: stop holds it
	defer wbs.mu.Unlock()
	wbs.merged++
}

func (wbs *etcdWatchBroadcasts) coalesceLoop() {
	defer close(wbs.donec)
	for {
		select {
		case <-wbs.updatec:
			wbs.coalesce()
		case <-wbs.stopc:
			return
		}
	}
}

func (wbs *etcdWatchBroadcasts) stop() {
	wbs.mu.Lock()
	defer wbs.mu.Unlock()
	time.Sleep(50 * time.Millisecond) // stopping each broadcast
	close(wbs.stopc)
	<-wbs.donec // blocks: the loop waits for wbs.mu in coalesce
}

func etcd6873StopWatchBroadcasts() {
	wbs := &etcdWatchBroadcasts{updatec: make(chan struct{}), stopc: make(chan struct{}), donec: make(chan struct{})}
	go wbs.coalesceLoop()
	go wbs.stop()
	time.Sleep(10 * time.Millisecond)
	wbs.updatec <- struct{}{}
}

// etcd#6948 https://github.com/etcd-io/etcd/pull/6948
// Recursive locking of a sync.RWMutex: a watch broadcast's method holds the write lock and
// calls empty(), which takes the read lock; later callers block behind it.

type etcdWatchBroadcast struct {
	mu        sync.RWMutex
	receivers map[int]bool
}

func (wb *etcdWatchBroadcast) empty() bool {
	wb.mu.RLock() // blocks: the caller holds the write lock
	defer wb.mu.RUnlock()
	return len(wb.receivers) == 0
}

func (wb *etcdWatchBroadcast) delete(id int) {
	wb.mu.Lock()
	defer wb.mu.Unlock()
	delete(wb.receivers, id)
	if wb.empty() {
		wb.receivers = nil
	}
}

func (wb *etcdWatchBroadcast) add(id int) {
	wb.mu.Lock() // blocks: delete never unlocks
	defer wb.mu.Unlock()
	wb.receivers[id] = true
}

func etcd6948CancelLastWatcher() {
	wb := &etcdWatchBroadcast{receivers: map[int]bool{1: true}}
	go wb.delete(1)
	time.Sleep(10 * time.Millisecond)
	go wb.add(2)
}

// etcd#12030 https://github.com/etcd-io/etcd/pull/12030
// Mutex held while waiting on a never-closed channel: the proxy deletes a watch broadcast
// holding the global watchRanges lock and waits for the broadcast to stop; the broadcast
// failed to cancel its watcher, so it never stops, and every new watch blocks on the lock.

type etcdProxyBroadcast struct {
	cancel context.CancelFunc
	donec  chan struct{} // closed when the upstream watcher is cancelled; it never is
}

func (b *etcdProxyBroadcast) stop() {
	b.cancel()
	<-b.donec // blocks forever
}

type etcdWatchRanges struct {
	mu     sync.Mutex
	bcasts map[string]*etcdProxyBroadcast
}

func (wr *etcdWatchRanges) delete(key string) {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	if b := wr.bcasts[key]; b != nil {
		b.stop()
		delete(wr.bcasts, key)
	}
}

func (wr *etcdWatchRanges) add(key string) {
	wr.mu.Lock() // blocks: delete holds it
	defer wr.mu.Unlock()
	_, cancel := context.WithCancel(context.Background())
	wr.bcasts[key] = &etcdProxyBroadcast{cancel: cancel, donec: make(chan struct{})}
}

func etcd12030ProxyWatchCancel() {
	wr := &etcdWatchRanges{bcasts: map[string]*etcdProxyBroadcast{}}
	_, cancel := context.WithCancel(context.Background())
	wr.bcasts["/registry/pods"] = &etcdProxyBroadcast{cancel: cancel, donec: make(chan struct{})}
	go wr.delete("/registry/pods")
	time.Sleep(10 * time.Millisecond)
	go wr.add("/registry/services")
	go wr.add("/registry/nodes")
}

// cockroach#1055 https://github.com/cockroachdb/cockroach/pull/1055
// WaitGroup wait under a mutex that the awaited task needs: Stop holds the stopper's mutex and
// waits for the workers; a worker, told to stop, calls StartTask, which needs that mutex, and
// never gets to SetStopped.

type crdbStopper struct {
	mu       sync.Mutex
	stopper  chan struct{}
	stop     sync.WaitGroup
	draining bool
}

func (s *crdbStopper) StartTask() bool {
	s.mu.Lock() // blocks: Stop holds it
	defer s.mu.Unlock()
	return !s.draining
}

func (s *crdbStopper) SetStopped() { s.stop.Done() }

func (s *crdbStopper) runWorker() {
	<-s.stopper
	s.StartTask() // one last flush
	s.SetStopped()
}

func (s *crdbStopper) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.stopper)
	s.stop.Wait() // blocks: the worker waits for s.mu
}

func cockroach1055StopWithWorker() {
	s := &crdbStopper{stopper: make(chan struct{})}
	s.stop.Add(1)
	go s.runWorker()
	time.Sleep(10 * time.Millisecond)
	s.Stop()
}

// cockroach#61413 https://github.com/cockroachdb/cockroach/pull/61413
// Context never cancelled: the closed-timestamp side transport dropped a gRPC stream after an
// error without cancelling the stream's context, so the goroutine releasing the stream waits
// for ctx.Done() forever.

var crdbNodeCtx, crdbNodeCancel = context.WithCancel(context.Background())

type crdbSideTransportStream struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func (s *crdbSideTransportStream) releaseOnDone() {
	<-s.ctx.Done() // blocks: nobody cancels the stream
}

func cockroach61413DropStreamOnError() {
	ctx, cancel := context.WithCancel(crdbNodeCtx)
	s := &crdbSideTransportStream{ctx: ctx, cancel: cancel}
	go s.releaseOnDone()
	// The stream's Send fails; the sender forgets s without s.cancel().
}

func init() {
	_ = crdbNodeCancel
	register(&bug{Name: "etcd6873", Ref: "etcd#6873", URL: "https://github.com/etcd-io/etcd/pull/6873",
		Shape:   "mutex held while receiving from a channel the lock's waiter would close",
		Sites:   []site{{"main.(*etcdWatchBroadcasts).stop", 1}, {"main.(*etcdWatchBroadcasts).coalesce", 1}},
		Trigger: etcd6873StopWatchBroadcasts})
	register(&bug{Name: "etcd6948", Ref: "etcd#6948", URL: "https://github.com/etcd-io/etcd/pull/6948",
		Shape:   "recursive RWMutex locking (RLock under Lock)",
		Sites:   []site{{"main.(*etcdWatchBroadcast).empty", 1}, {"main.(*etcdWatchBroadcast).add", 1}},
		Trigger: etcd6948CancelLastWatcher})
	register(&bug{Name: "etcd12030", Ref: "etcd#12030", URL: "https://github.com/etcd-io/etcd/pull/12030",
		Shape:   "mutex held while receiving from a never-closed channel",
		Sites:   []site{{"main.(*etcdProxyBroadcast).stop", 1}, {"main.(*etcdWatchRanges).add", 2}},
		Trigger: etcd12030ProxyWatchCancel})
	register(&bug{Name: "cockroach1055", Ref: "cockroach#1055", URL: "https://github.com/cockroachdb/cockroach/pull/1055",
		Shape:   "WaitGroup.Wait under a mutex the awaited goroutine needs",
		Sites:   []site{{"main.(*crdbStopper).Stop", 1}, {"main.(*crdbStopper).StartTask", 1}},
		Trigger: cockroach1055StopWithWorker})
	register(&bug{Name: "cockroach61413", Ref: "cockroach#61413", URL: "https://github.com/cockroachdb/cockroach/pull/61413",
		Shape:   "context never cancelled (receive on ctx.Done)",
		Sites:   []site{{"main.(*crdbSideTransportStream).releaseOnDone", 1}},
		Trigger: cockroach61413DropStreamOnError})
}
