// Bugs reported in other public Go projects: containerd, istio, weaviate, terraform-provider-
// kubectl, tchannel-go, grule-rule-engine, semgroup, influxdb-client-go, gotest, errgroup,
// juicefs, syncthing, gatekeeper.
package main

import (
	"context"
	"errors"
	"sync"
	"time"
)

// containerd#4617 https://github.com/containerd/containerd/issues/4617
// Context never cancelled: the content reader opens a gRPC client stream, calls only CloseSend
// and drops it; the stream's receive goroutine waits for frames or for a context nobody
// cancels.

var containerdClientCtx, containerdClientCancel = context.WithCancel(context.Background())

type containerdStream struct {
	ctx    context.Context
	frames chan []byte
}

func (s *containerdStream) recvLoop() {
	for {
		select { // blocks: no frame comes and the context is never cancelled
		case <-s.frames:
		case <-s.ctx.Done():
			return
		}
	}
}

func containerd4617ReadContent() {
	ctx, cancel := context.WithCancel(containerdClientCtx)
	s := &containerdStream{ctx: ctx, frames: make(chan []byte)}
	go s.recvLoop()
	_ = cancel // the bug: CloseSend() only, the context is left alone
}

// istio#15897 https://github.com/istio/istio/pull/15897 (fixes istio#15876)
// Channel send with no receiver after a timeout: pushing to a slow sidecar waits on an
// unbuffered done channel with a timeout; after the timeout the sending goroutine blocks.

type istioXdsConnection struct{ sent int }

func (c *istioXdsConnection) doSend(done chan<- error) {
	time.Sleep(60 * time.Millisecond) // a slow Envoy
	c.sent++
	done <- nil // blocks: sendWithTimeout gave up
}

func (c *istioXdsConnection) sendWithTimeout(timeout time.Duration) error {
	done := make(chan error)
	go c.doSend(done)
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return errors.New("timeout sending")
	}
}

func istio15897SlowSidecarPush() {
	_ = (&istioXdsConnection{}).sendWithTimeout(10 * time.Millisecond)
}

// weaviate#12749 https://github.com/weaviate/weaviate/issues/12749
// Channel send with no receiver after the context is cancelled: the batch stream's recv helper
// sends the stream error on an unbuffered channel; the handler already returned on ctx.Done().

type weaviateStreamHandler struct{}

func (h *weaviateStreamHandler) recvRequest(errCh chan<- error) {
	time.Sleep(60 * time.Millisecond) // stream.Recv() fails after the client aborted
	errCh <- errors.New("rpc error: code = Canceled")
}

func (h *weaviateStreamHandler) Handle(ctx context.Context) error {
	errCh := make(chan error)
	go h.recvRequest(errCh)
	select {
	case err := <-errCh:
		return err
	case <-ctx.Done():
		return ctx.Err() // "context cancelled, closing stream"
	}
}

func weaviate12749AbortedBatchStream() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_ = (&weaviateStreamHandler{}).Handle(ctx)
}

// alekc/terraform-provider-kubectl#268 https://github.com/alekc/terraform-provider-kubectl/issues/268
// Channel send with no receiver after a timeout: discovery runs in a goroutine racing a timer;
// when the timer wins, the goroutine blocks forever on its unbuffered result channel.

type kubectlProvider struct{}

func (p *kubectlProvider) discoverRestClient(ch chan<- string) {
	time.Sleep(60 * time.Millisecond) // an overloaded apiserver
	ch <- "apps/v1"                   // blocks: the caller timed out
}

func (p *kubectlProvider) restClientWithTimeout(timeout time.Duration) (string, error) {
	ch := make(chan string)
	go p.discoverRestClient(ch)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case res := <-ch:
		return res, nil
	case <-timer.C:
		return "", errors.New("discovery timed out")
	}
}

func kubectl268SlowDiscovery() {
	_, _ = (&kubectlProvider{}).restClientWithTimeout(10 * time.Millisecond)
}

// uber/tchannel-go#278 https://github.com/uber/tchannel-go/pull/278
// Context never cancelled: each call context starts a goroutine that propagates the parent's
// cancellation; callers that never cancel their contexts leave it waiting.

var tchannelRootCtx, tchannelRootCancel = context.WithCancel(context.Background())

type tchannelContext struct {
	parent context.Context
	done   chan struct{}
}

func (c *tchannelContext) propagateCancel() {
	select { // blocks: neither the parent nor the call context is ever cancelled
	case <-c.parent.Done():
		close(c.done)
	case <-c.done:
	}
}

func tchannelNewContext(parent context.Context) *tchannelContext {
	c := &tchannelContext{parent: parent, done: make(chan struct{})}
	go c.propagateCancel()
	return c
}

func tchannel278UncancelledCall() {
	_ = tchannelNewContext(tchannelRootCtx) // the call returns; nobody cancels its context
}

// hyperjumptech/grule-rule-engine#123 https://github.com/hyperjumptech/grule-rule-engine/pull/123
// Context never cancelled: ExecuteWithContext starts a goroutine that waits for the context's
// cancellation; Execute passes context.Background(), whose Done channel is nil, so it waits
// forever (on a nil channel).

type gruleEngine struct{ cancelled bool }

func (e *gruleEngine) watchContextCancel(ctx context.Context) {
	<-ctx.Done() // blocks forever: Background's Done() is nil
	e.cancelled = true
}

func (e *gruleEngine) ExecuteWithContext(ctx context.Context) {
	go e.watchContextCancel(ctx)
	time.Sleep(time.Millisecond) // evaluating the rules
}

func (e *gruleEngine) Execute() { e.ExecuteWithContext(context.Background()) }

func grule123ExecuteRules() { (&gruleEngine{}).Execute() }

// fatih/semgroup#2 https://github.com/fatih/semgroup/pull/2
// WaitGroup Add without Done: Go() calls wg.Add(1) before acquiring the semaphore and returns
// early when the acquisition fails, so Wait blocks forever.

type semGroup struct {
	ctx  context.Context
	sem  chan struct{}
	wg   sync.WaitGroup
	errs []error
}

func (g *semGroup) run(f func() error) {
	defer g.wg.Done()
	defer func() { <-g.sem }()
	if err := f(); err != nil {
		g.errs = append(g.errs, err)
	}
}

func (g *semGroup) Go(f func() error) {
	g.wg.Add(1)
	select {
	case g.sem <- struct{}{}:
	case <-g.ctx.Done():
		return // the bug: no g.wg.Done()
	}
	go g.run(f)
}

func (g *semGroup) Wait() {
	g.wg.Wait() // blocks forever
}

func semgroup2CancelledUpload() {
	ctx, cancel := context.WithCancel(context.Background())
	g := &semGroup{ctx: ctx, sem: make(chan struct{}, 1)}
	g.sem <- struct{}{} // the only slot is taken by a long upload
	cancel()
	g.Go(func() error { return nil })
	g.Wait()
}

// influxdata/influxdb-client-go#30 https://github.com/influxdata/influxdb-client-go/issues/30
// WaitGroup Done skipped on an early exit: the writer's flush loop returns on an error without
// wg.Done(), and Stop() waits forever.

type influxWriter struct {
	wg    sync.WaitGroup
	stopc chan struct{}
}

func (w *influxWriter) flush() error { return errors.New("write: connection refused") }

func (w *influxWriter) flushLoop() {
	for {
		if err := w.flush(); err != nil {
			return // the bug: w.wg.Done() is not deferred
		}
		select {
		case <-w.stopc:
			w.wg.Done()
			return
		case <-time.After(time.Second):
		}
	}
}

func (w *influxWriter) Stop() {
	close(w.stopc)
	w.wg.Wait() // blocks forever
}

func influxdb30StopAfterWriteError() {
	w := &influxWriter{stopc: make(chan struct{})}
	w.wg.Add(1)
	go w.flushLoop()
	time.Sleep(10 * time.Millisecond)
	w.Stop()
}

// rakyll/gotest#44 https://github.com/rakyll/gotest/pull/44
// WaitGroup Add without Done: the deferred wg.Wait() waits for the output copier, which is not
// started when cmd.Start() fails.

func gotestStartCommand() error { return errors.New(`exec: "go": executable file not found in $PATH`) }

func gotestRunPackage() error {
	var wg sync.WaitGroup
	wg.Add(1)
	defer wg.Wait() // blocks forever on the error return
	if err := gotestStartCommand(); err != nil {
		return err
	}
	go func() { defer wg.Done() }()
	return nil
}

func gotest44StartFails() { _ = gotestRunPackage() }

// neilotoole/errgroup#6 https://github.com/neilotoole/errgroup/issues/6
// WaitGroup wait under a mutex that the awaited goroutine needs: Wait holds the group's mutex
// while waiting; a group goroutine that starts more workers calls Go, which needs the mutex.

type errGroup struct {
	mu sync.Mutex
	wg sync.WaitGroup
}

func (g *errGroup) run(f func()) {
	defer g.wg.Done()
	f()
}

func (g *errGroup) Go(f func()) {
	g.mu.Lock() // blocks: Wait holds it
	g.wg.Add(1)
	g.mu.Unlock()
	go g.run(f)
}

func (g *errGroup) Wait() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.wg.Wait() // blocks: the dispatcher waits for g.mu
}

func errgroupDispatch(g *errGroup) {
	time.Sleep(50 * time.Millisecond) // work arrives
	g.Go(func() {})
}

func errgroup6ShutdownWhileDispatching() {
	g := &errGroup{}
	g.Go(func() { errgroupDispatch(g) })
	time.Sleep(10 * time.Millisecond)
	g.Wait()
}

// juicedata/juicefs#3782 https://github.com/juicedata/juicefs/pull/3782
// Lost wake-up, a condition never signalled: the channel-based cond's Signal drops the signal
// when nobody is receiving yet; a waiter that unlocked but has not reached its receive misses it
// and waits forever. (The sleep stands in for the scheduling gap in which the signal is lost.)

type juiceCond struct {
	L      sync.Mutex
	signal chan struct{}
}

func (c *juiceCond) Signal() {
	select {
	case c.signal <- struct{}{}:
	default: // nobody waiting yet: dropped
	}
}

func (c *juiceCond) Wait() {
	c.L.Unlock()
	time.Sleep(50 * time.Millisecond) // preempted here
	<-c.signal                        // blocks forever: the signal was dropped
	c.L.Lock()
}

type juiceSlice struct {
	cond  *juiceCond
	ready bool
}

func (s *juiceSlice) waitReady() {
	s.cond.L.Lock()
	for !s.ready {
		s.cond.Wait()
	}
	s.cond.L.Unlock()
}

func (s *juiceSlice) markReady() {
	s.cond.L.Lock()
	s.ready = true
	s.cond.L.Unlock()
	s.cond.Signal()
}

func juicefs3782LostSignal() {
	s := &juiceSlice{cond: &juiceCond{signal: make(chan struct{})}}
	go s.waitReady()
	time.Sleep(10 * time.Millisecond)
	s.markReady()
}

// syncthing#4601 https://github.com/syncthing/syncthing/issues/4601
// AB-BA lock order with RWMutexes: ExternalAddresses holds listenersMut.RLock and asks the relay
// client for its URI (c.mut.RLock); the relay client's Serve holds c.mut.Lock and reports a
// state change to the connection service (listenersMut.Lock).

type stConnectionService struct {
	listenersMut sync.RWMutex
	relay        *stDynamicClient
}

type stDynamicClient struct {
	mut sync.RWMutex
	svc *stConnectionService
	uri string
}

func (c *stDynamicClient) URI() string {
	c.mut.RLock() // blocks: Serve holds the write lock
	defer c.mut.RUnlock()
	return c.uri
}

func (s *stConnectionService) ExternalAddresses() []string {
	s.listenersMut.RLock()
	defer s.listenersMut.RUnlock()
	time.Sleep(50 * time.Millisecond)
	return []string{s.relay.URI()}
}

func (s *stConnectionService) relayStateChanged() {
	s.listenersMut.Lock() // blocks: ExternalAddresses holds the read lock
	defer s.listenersMut.Unlock()
}

func (c *stDynamicClient) Serve() {
	c.mut.Lock()
	defer c.mut.Unlock()
	time.Sleep(50 * time.Millisecond)
	c.uri = "relay://192.0.2.7:22067"
	c.svc.relayStateChanged()
}

func syncthing4601AnnounceWhileRelayConnects() {
	s := &stConnectionService{}
	s.relay = &stDynamicClient{svc: s}
	go s.ExternalAddresses()
	go s.relay.Serve()
}

// open-policy-agent/gatekeeper#2708 https://github.com/open-policy-agent/gatekeeper/pull/2708
// Select without a done case on channels never closed: when the manager exits without an
// error, its error channel is never closed, and blockingLoop waits forever.

type gatekeeperRunner struct {
	mgrErrs     chan error
	webhookErrs chan error
}

func (r *gatekeeperRunner) runManager() {
	time.Sleep(5 * time.Millisecond) // the manager stops cleanly: no error, no close
}

func (r *gatekeeperRunner) blockingLoop() error {
	for {
		select { // blocks forever: no done case, the channels are never closed
		case err, ok := <-r.mgrErrs:
			if !ok || err != nil {
				return err
			}
		case err := <-r.webhookErrs:
			return err
		}
	}
}

func gatekeeper2708CleanManagerExit() {
	r := &gatekeeperRunner{mgrErrs: make(chan error), webhookErrs: make(chan error)}
	go r.runManager()
	_ = r.blockingLoop()
}

func init() {
	_, _ = containerdClientCancel, tchannelRootCancel
	register(&bug{Name: "containerd4617", Ref: "containerd#4617", URL: "https://github.com/containerd/containerd/issues/4617",
		Shape: "context never cancelled (client stream dropped after CloseSend)",
		Sites: []site{{"main.(*containerdStream).recvLoop", 1}}, Trigger: containerd4617ReadContent})
	register(&bug{Name: "istio15897", Ref: "istio#15897", URL: "https://github.com/istio/istio/pull/15897",
		Shape: "chan send with no receiver after a timeout",
		Sites: []site{{"main.(*istioXdsConnection).doSend", 1}}, Trigger: istio15897SlowSidecarPush})
	register(&bug{Name: "weaviate12749", Ref: "weaviate#12749", URL: "https://github.com/weaviate/weaviate/issues/12749",
		Shape: "chan send with no receiver after the context was cancelled",
		Sites: []site{{"main.(*weaviateStreamHandler).recvRequest", 1}}, Trigger: weaviate12749AbortedBatchStream})
	register(&bug{Name: "kubectl268", Ref: "terraform-provider-kubectl#268", URL: "https://github.com/alekc/terraform-provider-kubectl/issues/268",
		Shape: "chan send with no receiver after a timeout",
		Sites: []site{{"main.(*kubectlProvider).discoverRestClient", 1}}, Trigger: kubectl268SlowDiscovery})
	register(&bug{Name: "tchannel278", Ref: "tchannel-go#278", URL: "https://github.com/uber/tchannel-go/pull/278",
		Shape: "context never cancelled (cancel-propagation goroutine)",
		Sites: []site{{"main.(*tchannelContext).propagateCancel", 1}}, Trigger: tchannel278UncancelledCall})
	register(&bug{Name: "grule123", Ref: "grule-rule-engine#123", URL: "https://github.com/hyperjumptech/grule-rule-engine/pull/123",
		Shape: "context never cancelled (context.Background: receive on a nil channel)",
		Sites: []site{{"main.(*gruleEngine).watchContextCancel", 1}}, Trigger: grule123ExecuteRules})
	register(&bug{Name: "semgroup2", Ref: "semgroup#2", URL: "https://github.com/fatih/semgroup/pull/2",
		Shape: "WaitGroup.Add without Done on an error return",
		Sites: []site{{"main.(*semGroup).Wait", 1}}, Trigger: semgroup2CancelledUpload})
	register(&bug{Name: "influxdb30", Ref: "influxdb-client-go#30", URL: "https://github.com/influxdata/influxdb-client-go/issues/30",
		Shape: "WaitGroup.Done skipped on an early exit",
		Sites: []site{{"main.(*influxWriter).Stop", 1}}, Trigger: influxdb30StopAfterWriteError})
	register(&bug{Name: "gotest44", Ref: "gotest#44", URL: "https://github.com/rakyll/gotest/pull/44",
		Shape: "deferred WaitGroup.Wait with the Done-ing goroutine never started",
		Sites: []site{{"main.gotestRunPackage", 1}}, Trigger: gotest44StartFails})
	register(&bug{Name: "errgroup6", Ref: "errgroup#6", URL: "https://github.com/neilotoole/errgroup/issues/6",
		Shape: "WaitGroup.Wait under a mutex the awaited goroutine needs",
		Sites: []site{{"main.(*errGroup).Wait", 1}, {"main.(*errGroup).Go", 1}}, Trigger: errgroup6ShutdownWhileDispatching})
	register(&bug{Name: "juicefs3782", Ref: "juicefs#3782", URL: "https://github.com/juicedata/juicefs/pull/3782",
		Shape: "condition never signalled (lost wake-up)",
		Sites: []site{{"main.(*juiceCond).Wait", 1}}, Trigger: juicefs3782LostSignal})
	register(&bug{Name: "syncthing4601", Ref: "syncthing#4601", URL: "https://github.com/syncthing/syncthing/issues/4601",
		Shape:   "AB-BA lock order (RWMutexes)",
		Sites:   []site{{"main.(*stDynamicClient).URI", 1}, {"main.(*stConnectionService).relayStateChanged", 1}},
		Trigger: syncthing4601AnnounceWhileRelayConnects})
	register(&bug{Name: "gatekeeper2708", Ref: "gatekeeper#2708", URL: "https://github.com/open-policy-agent/gatekeeper/pull/2708",
		Shape: "select without a done case on never-closed channels",
		Sites: []site{{"main.(*gatekeeperRunner).blockingLoop", 1}}, Trigger: gatekeeper2708CleanManagerExit})
}
