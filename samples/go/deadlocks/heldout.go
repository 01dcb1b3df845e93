package main

// Held-out shapes: written apart from the analysis, never used to tune it; their figures are
// reported as measured. See README.md.
//
// Each group below is modelled on a published blocking bug (Tu et al., ASPLOS'19, and the
// GoBench GoKer/GoReal kernels) or on a reported leak of the same kind; the code is written
// anew, with the same blocking structure. Where a goroutine's leaf-most package-main frame is a
// closure, the function holding the closure is marked //go:noinline so that the closure keeps
// its name (inlining would rename it after the caller on newer compilers).

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

var heldoutShapes = []shape{
	{"stats-select-no-stop",
		"a load generator reports each latency in a select on a samples channel and a stop channel; the test reads two samples and returns without closing stop",
		[]site{leak("main.(*loadClient).report", 1)},
		runStatsSelectNoStop},
	{"select-wrong-context",
		"key watchers select on the long-lived server context, never cancelled, instead of the per-watch context that Unwatch cancels",
		[]site{leak("main.(*keyRing).awaitChange", 2)},
		runSelectWrongContext},
	{"status-after-stop",
		"Status sends its request on the node's unbuffered status channel without selecting on done; once the run loop has stopped nobody receives",
		[]site{leak("main.(*raftNode).Status", 3)},
		runStatusAfterStop},
	{"stop-by-single-send",
		"Shutdown stops a pool of workers with one send on the stop channel instead of closing it: one worker leaves, the others wait forever",
		[]site{leak("main.(*jobExecutor).runWorker", 4)},
		runStopBySingleSend},
	{"cond-wait-ignores-error",
		"activation fails and broadcasts, but waitActive's loop checks only the activated flag and goes back to Wait forever",
		[]site{leak("main.(*volumePlugin).waitActive", 2)},
		runCondWaitIgnoresError},
	{"waitgroup-wait-in-loop",
		"restore adds one to the WaitGroup per plugin but calls Wait inside the loop, after starting only the first goroutine, so Wait never returns",
		[]site{leak("main.(*pluginManager).restoreAll", 1)},
		runWaitGroupWaitInLoop},
	{"waitgroup-add-in-goroutine",
		"workers call wg.Add inside their goroutines, after Wait has already returned; the collector leaves and the workers block sending their parts",
		[]site{leak("main.(*reportBuilder).build.func1", 4)},
		runWaitGroupAddInGoroutine},
	{"rlock-held-across-receive",
		"a reader holds the read lock while waiting for a reply that the failed fetch never sends; a writer blocks in Lock and later readers block behind it",
		[]site{leak("main.(*schemaRegistry).resolve", 1), leak("main.(*schemaRegistry).register", 1),
			leak("main.(*schemaRegistry).names", 2)},
		runRLockHeldAcrossReceive},
	{"stale-stop-channel",
		"reset replaces the pool's channels without closing the old stop channel; the monitor and the 20 workers started before select on the old channels forever",
		[]site{leak("main.(*crawlPool).spawn.func1", 1), leak("main.(*crawlPool).spawn.func2", 20)},
		runStaleStopChannel},
	{"poller-never-done",
		"a poller goroutine sends each tick on an unbuffered channel outside any select on done; the waiter returns once synced and never closes done",
		[]site{leak("main.poller.func1.1", 1)},
		runPollerNeverDone},
	{"recv-buffer-orphaned",
		"the transport reader returns on a bad frame without delivering an error to the stream; the stream's reader blocks in its receive buffer",
		[]site{leak("main.(*recvBuffer).next", 1)},
		runRecvBufferOrphaned},
	{"watch-result-full",
		"the watch server stops reading at its timeout and calls Stop; the cache watcher is blocked sending into the full result channel and never looks at done",
		[]site{leak("main.(*cacheWatcher).sendEvent", 1)},
		runWatchResultFull},
	{"status-channel-lock-cycle",
		"SetPodStatus holds the mutex while sending on the full status channel; the syncer draining that channel needs the mutex to finish the previous status",
		[]site{deadlock("main.(*podStatusSyncer).SetPodStatus", 1), deadlock("main.(*podStatusSyncer).markSynced", 1),
			leak("main.(*podStatusSyncer).GetPodStatus", 1)},
		runStatusChannelLockCycle},
	{"watcher-remove-cond-cycle",
		"Remove waits on a Cond for the watch's IGNORED event, which the watcher's reader reaches only after delivering a pending event to Remove's own caller",
		[]site{deadlock("main.(*inotifyWatcher).Remove", 1), deadlock("main.(*inotifyWatcher).readEvents", 1)},
		runWatcherRemoveCondCycle},
	{"rlock-cond-writer-cycle",
		"a worker waits on a queue's Cond while holding a read lock; a writer queues in Lock, and the worker that would fill the queue blocks in RLock behind it",
		[]site{deadlock("main.(*quotaQueue).pop", 1), deadlock("main.(*quotaController).resyncMonitors", 1),
			deadlock("main.(*quotaController).replenish", 1)},
		runRLockCondWriterCycle},
	{"config-commit-cycle",
		"a connection's dispatcher waits on a WaitGroup for a config commit, and the commit closes that connection, waiting for its dispatcher to exit",
		[]site{deadlock("main.(*syncModel).handleAutoAccepts", 1), deadlock("main.(*peerConn).Close.func1", 1)},
		runConfigCommitCycle},
}

// stats-select-no-stop -------------------------------------------------------------------------
// Modelled on grpc-go's benchmark worker (GoKer grpc#660): the client's load loop reports in a
// select on a stats channel and a stop channel, and the test returns without closing stop.

type loadClient struct {
	target    string
	latencies chan time.Duration
	stop      chan struct{} // closed by a teardown that the test never calls
	sent      int
}

func (c *loadClient) closedLoop(calls int) {
	for i := 0; i < calls; i++ {
		c.unaryCall()
	}
}

func (c *loadClient) unaryCall() {
	start := time.Now()
	c.sent++
	c.report(time.Since(start))
}

func (c *loadClient) report(d time.Duration) {
	select {
	case c.latencies <- d:
	case <-c.stop:
	}
}

func runStatsSelectNoStop() {
	c := &loadClient{target: "localhost:50051", latencies: make(chan time.Duration), stop: make(chan struct{})}
	go c.closedLoop(100)
	for i := 0; i < 2; i++ {
		<-c.latencies
	}
}

// select-wrong-context -------------------------------------------------------------------------
// Modelled on sensu-go#1746 ("Ring leaks goroutines"): the key watcher selected on the wrong
// context, one that is never cancelled, instead of the watch's own context.

type ringWatch struct {
	key     string
	ctx     context.Context // the watch's context: Unwatch cancels it
	cancel  context.CancelFunc
	changes chan string
}

// publish is the store's side: it stops sending once the watch is cancelled.
func (w *ringWatch) publish(v string) bool {
	select {
	case w.changes <- v:
		return true
	case <-w.ctx.Done():
		return false
	}
}

type keyRing struct {
	name    string
	watches map[string]*ringWatch
	seen    int
}

func (r *keyRing) Watch(ctx context.Context, key string) {
	watchCtx, cancel := context.WithCancel(ctx)
	w := &ringWatch{key: key, ctx: watchCtx, cancel: cancel, changes: make(chan string)}
	r.watches[key] = w
	go r.watchLoop(ctx, w) // BUG: should pass watchCtx
}

func (r *keyRing) Unwatch(key string) {
	if w, ok := r.watches[key]; ok {
		w.cancel()
		delete(r.watches, key)
	}
}

func (r *keyRing) watchLoop(ctx context.Context, w *ringWatch) {
	for r.awaitChange(ctx, w.changes) {
	}
}

func (r *keyRing) awaitChange(ctx context.Context, changes <-chan string) bool {
	select {
	case <-ctx.Done():
		return false
	case v := <-changes:
		r.seen += len(v)
		return true
	}
}

type agentServer struct {
	ctx  context.Context
	stop context.CancelFunc // called when the process exits
}

func runSelectWrongContext() {
	ctx, stop := context.WithCancel(context.Background())
	srv := &agentServer{ctx: ctx, stop: stop}
	r := &keyRing{name: "agents", watches: map[string]*ringWatch{}}
	for _, key := range []string{"/ring/agents/a1", "/ring/agents/a2"} {
		r.Watch(srv.ctx, key)
	}
	for _, key := range []string{"/ring/agents/a1", "/ring/agents/a2"} {
		r.Unwatch(key)
	}
}

// status-after-stop ----------------------------------------------------------------------------
// Modelled on etcd's raft node.Status (etcd#6855/#6857): after Stop there is no run loop to
// answer, and Status blocks sending its request.

type raftStatus struct {
	id, term, lead uint64
}

type raftNode struct {
	id     uint64
	term   uint64
	status chan chan raftStatus
	stopc  chan struct{}
	done   chan struct{}
}

func (n *raftNode) run() {
	defer close(n.done)
	for {
		select {
		case c := <-n.status:
			c <- raftStatus{id: n.id, term: n.term, lead: n.id}
		case <-n.stopc:
			return
		}
	}
}

func (n *raftNode) Stop() {
	close(n.stopc)
	<-n.done
}

// Status asks the run loop for a snapshot. BUG: it does not select on n.done.
func (n *raftNode) Status() raftStatus {
	c := make(chan raftStatus)
	n.status <- c
	return <-c
}

func runStatusAfterStop() {
	n := &raftNode{id: 1, term: 4, status: make(chan chan raftStatus), stopc: make(chan struct{}),
		done: make(chan struct{})}
	go n.run()
	if st := n.Status(); st.lead != 1 {
		panic("unexpected leader")
	}
	n.Stop()
	probe := n.Status // handed to the metrics and health endpoints
	for i := 0; i < 3; i++ {
		go probe()
	}
}

// stop-by-single-send --------------------------------------------------------------------------
// After the leak reported in go-co-op/gocron#837: the executor's stop channel has several
// receivers but is signalled with a single send, so only one of them leaves.

type jobExecutor struct {
	workers int
	jobs    chan func()
	stopCh  chan struct{}
}

func (e *jobExecutor) runWorker(id int) {
	for {
		select {
		case job := <-e.jobs:
			job()
		case <-e.stopCh:
			return
		}
	}
}

func (e *jobExecutor) Start() {
	for i := 0; i < e.workers; i++ {
		go e.runWorker(i)
	}
}

func (e *jobExecutor) Shutdown() {
	e.stopCh <- struct{}{} // BUG: should close(e.stopCh)
}

func runStopBySingleSend() {
	e := &jobExecutor{workers: 5, jobs: make(chan func()), stopCh: make(chan struct{})}
	e.Start()
	e.jobs <- func() {}
	awaitParked("main.(*jobExecutor).runWorker", 5)
	e.Shutdown()
}

// cond-wait-ignores-error ----------------------------------------------------------------------
// Modelled on moby#30408: a plugin's activation error was not checked in the waitActive loop,
// which waited forever for an activation that would never come.

type volumePlugin struct {
	name         string
	mu           sync.Mutex
	activated    bool
	activateErr  error
	activateWait *sync.Cond
}

func newVolumePlugin(name string) *volumePlugin {
	p := &volumePlugin{name: name}
	p.activateWait = sync.NewCond(&p.mu)
	return p
}

func (p *volumePlugin) handshake() error {
	return fmt.Errorf("plugin %s: dial unix /run/docker/plugins/%s.sock: no such file", p.name, p.name)
}

func (p *volumePlugin) activate() {
	p.mu.Lock()
	p.activateErr = p.handshake()
	if p.activateErr == nil {
		p.activated = true
	}
	p.activateWait.Broadcast()
	p.mu.Unlock()
}

func (p *volumePlugin) waitActive() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for !p.activated { // BUG: p.activateErr is never checked
		p.activateWait.Wait()
	}
	return p.activateErr
}

func (p *volumePlugin) Mount(volume string) (string, error) {
	if err := p.waitActive(); err != nil {
		return "", err
	}
	return "/var/lib/docker/plugins/" + p.name + "/" + volume, nil
}

func (p *volumePlugin) List() ([]string, error) {
	if err := p.waitActive(); err != nil {
		return nil, err
	}
	return []string{"data"}, nil
}

func runCondWaitIgnoresError() {
	p := newVolumePlugin("sshfs")
	go p.Mount("data")
	go p.List()
	awaitParked("main.(*volumePlugin).waitActive", 2)
	p.activate()
}

// waitgroup-wait-in-loop -----------------------------------------------------------------------
// Modelled on moby#25384 ("fix deadlock when more than 1 plugin is installed"), the WaitGroup
// example of Tu et al.: the daemon's plugin restore called group.Wait inside the loop that
// starts one goroutine per plugin.

type managedPlugin struct {
	name    string
	enabled bool
}

type pluginManager struct {
	plugins []*managedPlugin
	mu      sync.Mutex
	running map[string]bool
}

func (pm *pluginManager) restore(p *managedPlugin) {
	pm.mu.Lock()
	pm.running[p.name] = p.enabled
	pm.mu.Unlock()
}

func (pm *pluginManager) restoreAll() {
	var group sync.WaitGroup
	group.Add(len(pm.plugins))
	for _, p := range pm.plugins {
		go func(p *managedPlugin) {
			defer group.Done()
			pm.restore(p)
		}(p)
		group.Wait() // BUG: belongs after the loop
	}
}

func (pm *pluginManager) boot() {
	pm.running = map[string]bool{}
	pm.restoreAll()
}

func runWaitGroupWaitInLoop() {
	pm := &pluginManager{plugins: []*managedPlugin{{"sshfs", true}, {"weave", false}, {"flocker", true}}}
	go pm.boot()
}

// waitgroup-add-in-goroutine -------------------------------------------------------------------
// The classic WaitGroup misuse (wg.Add inside the new goroutine, fixed in many projects' tests
// and servers): Wait can run before any Add, and then returns at once.

type reportBuilder struct {
	title    string
	sections []string
}

func renderSection(name string) string {
	time.Sleep(30 * time.Millisecond) // querying the metrics backend
	return "<h2>" + name + "</h2>"
}

//go:noinline
func (b *reportBuilder) build() []string {
	var wg sync.WaitGroup
	parts := make(chan string)
	for _, s := range b.sections {
		go func(s string) {
			body := renderSection(s)
			wg.Add(1) // BUG: belongs before the go statement
			defer wg.Done()
			parts <- body
		}(s)
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	var out []string
	for {
		select {
		case p := <-parts:
			out = append(out, p)
		case <-done:
			return out
		}
	}
}

func runWaitGroupAddInGoroutine() {
	b := &reportBuilder{title: "weekly", sections: []string{"latency", "errors", "saturation", "traffic"}}
	b.build()
}

// rlock-held-across-receive --------------------------------------------------------------------
// The RWMutex blocking Tu et al. describe (Go's RWMutex lets a pending writer block new
// readers): a read lock held across a receive from a goroutine that has gone; the writer and
// every later reader queue up behind it.

type schemaRegistry struct {
	mu      sync.RWMutex
	schemas map[string]string
}

func (r *schemaRegistry) fetchRemote(name string, reply chan<- string) {
	if strings.HasPrefix(name, "x-") {
		return // BUG: unknown schema: returns without replying
	}
	reply <- "schema:" + name
}

func (r *schemaRegistry) resolve(name string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if s, ok := r.schemas[name]; ok {
		return s
	}
	reply := make(chan string)
	go r.fetchRemote(name, reply)
	return <-reply
}

func (r *schemaRegistry) register(name, schema string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.schemas[name] = schema
}

func (r *schemaRegistry) names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for n := range r.schemas {
		out = append(out, n)
	}
	return out
}

func runRLockHeldAcrossReceive() {
	r := &schemaRegistry{schemas: map[string]string{"order.v1": "{...}"}}
	go r.resolve("x-legacy-order")
	awaitParked("main.(*schemaRegistry).resolve", 1)
	go r.register("order.v2", "{...}")
	awaitParked("main.(*schemaRegistry).register", 1)
	for i := 0; i < 2; i++ {
		go r.names()
	}
}

// stale-stop-channel ---------------------------------------------------------------------------
// A message-passing leak of the kind Tu et al. classify as a missing close: a restartable pool
// re-makes its stop channel, goroutines captured the old one, and only the new one is closed.

type crawlPool struct {
	size   int
	jobs   chan string
	resize chan int
	stop   chan struct{}
}

func newCrawlPool(size int) *crawlPool {
	p := &crawlPool{size: size}
	p.reset()
	return p
}

// reset gives the pool fresh channels. BUG: the old stop channel is dropped, not closed.
func (p *crawlPool) reset() {
	p.jobs = make(chan string)
	p.resize = make(chan int)
	p.stop = make(chan struct{})
}

func crawlPage(worker int, url string) int { return worker + len(url) }

//go:noinline
func (p *crawlPool) spawn() {
	jobs, resize, stop := p.jobs, p.resize, p.stop
	go func() { // the monitor: adjusts the pool size on request
		for {
			select {
			case n := <-resize:
				p.size = n
			case <-stop:
				return
			}
		}
	}()
	for i := 0; i < p.size; i++ {
		go func(id int) {
			for {
				select {
				case url := <-jobs:
					crawlPage(id, url)
				case <-stop:
					return
				}
			}
		}(i)
	}
}

func (p *crawlPool) shutdown() { close(p.stop) }

func runStaleStopChannel() {
	p := newCrawlPool(20)
	p.spawn()
	p.reset() // reconfigured before the first crawl
	p.shutdown()
}

// poller-never-done ----------------------------------------------------------------------------
// A variant of kubernetes#70277 (wait.poller): the poller's goroutine quits only when done is
// closed, and WaitForCacheSync never closes it; here its tick is sent outside any select.

type waitFunc func(done <-chan struct{}) <-chan struct{}

//go:noinline
func poller(interval time.Duration) waitFunc {
	return func(done <-chan struct{}) <-chan struct{} {
		ch := make(chan struct{})
		go func() {
			defer close(ch)
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				select {
				case <-tick.C:
					ch <- struct{}{} // BUG: not in a select with done
				case <-done:
					return
				}
			}
		}()
		return ch
	}
}

func waitForCacheSync(wait waitFunc, synced func() bool) bool {
	done := make(chan struct{}) // BUG: never closed
	for range wait(done) {
		if synced() {
			return true
		}
	}
	return false
}

func runPollerNeverDone() {
	checks := 0
	if !waitForCacheSync(poller(2*time.Millisecond), func() bool { checks++; return checks >= 3 }) {
		panic("expected the cache to sync")
	}
}

// recv-buffer-orphaned -------------------------------------------------------------------------
// Modelled on grpc-go#1275: a stream's reader blocks in recvBufferReader.Read because the
// transport went away without putting an error into the stream's receive buffer.

type recvMsg struct {
	data []byte
	err  error
}

type recvBuffer struct{ c chan recvMsg }

func (b *recvBuffer) put(m recvMsg) { b.c <- m }

func (b *recvBuffer) next() recvMsg { return <-b.c }

type grpcStream struct {
	method   string
	buf      *recvBuffer
	received int
}

func (s *grpcStream) readFrame() recvMsg { return s.buf.next() }

func (s *grpcStream) RecvMsg() ([]byte, error) {
	m := s.readFrame()
	return m.data, m.err
}

func (s *grpcStream) drain() {
	for {
		if _, err := s.RecvMsg(); err != nil {
			return
		}
		s.received++
	}
}

var errStreamEOF = errors.New("EOF")

type h2Transport struct {
	frames []string
}

func (t *h2Transport) reader(s *grpcStream) {
	for _, f := range t.frames {
		if !strings.HasPrefix(f, "DATA ") {
			return // BUG: protocol error: the connection closes, the stream is not told
		}
		s.buf.put(recvMsg{data: []byte(f)})
	}
	s.buf.put(recvMsg{err: errStreamEOF})
}

func runRecvBufferOrphaned() {
	s := &grpcStream{method: "/echo.Echo/ServerStream", buf: &recvBuffer{c: make(chan recvMsg, 8)}}
	t := &h2Transport{frames: []string{"DATA hello", "DATA world", "RST_STREAM?"}}
	go s.drain()
	go t.reader(s)
}

// watch-result-full ----------------------------------------------------------------------------
// Modelled on kubernetes#38669: when the watch server's timeout fires with the result channel
// full, sendWatchCacheEvent stays blocked on the write even though cacheWatcher.Stop was called.

type watchEvent struct {
	kind, key string
}

type cacheWatcher struct {
	input    chan watchEvent
	result   chan watchEvent // buffered; read by the watch server
	done     chan struct{}   // closed by Stop
	stopOnce sync.Once
}

func (w *cacheWatcher) Stop() { w.stopOnce.Do(func() { close(w.done) }) }

func (w *cacheWatcher) sendEvent(ev watchEvent) {
	w.result <- ev // BUG: does not select on w.done
}

func (w *cacheWatcher) process(initial []watchEvent) {
	for _, ev := range initial {
		w.sendEvent(ev)
	}
	for {
		select {
		case ev := <-w.input:
			w.sendEvent(ev)
		case <-w.done:
			return
		}
	}
}

// serveWatch streams events to the client until its timeout, then stops the watcher.
func serveWatch(w *cacheWatcher, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	sent := 0
	for time.Now().Before(deadline) {
		select {
		case <-w.result:
			sent++
			time.Sleep(10 * time.Millisecond) // encoding and writing to a slow client
		case <-time.After(time.Until(deadline)):
		}
	}
	w.Stop()
	return sent
}

func runWatchResultFull() {
	w := &cacheWatcher{input: make(chan watchEvent), result: make(chan watchEvent, 2), done: make(chan struct{})}
	var initial []watchEvent
	for i := 0; i < 20; i++ {
		initial = append(initial, watchEvent{"ADDED", fmt.Sprintf("/pods/default/web-%d", i)})
	}
	go w.process(initial)
	serveWatch(w, 30*time.Millisecond)
}

// status-channel-lock-cycle --------------------------------------------------------------------
// Modelled on kubernetes#10182 (kubelet status manager, "Fix deadlock"): SetPodStatus held the
// lock during a blocking send on the status channel, whose consumer needed that lock.

type podStatus struct {
	pod, phase string
}

type podStatusSyncer struct {
	mu       sync.Mutex
	statuses map[string]podStatus
	synced   map[string]string
	updates  chan podStatus // buffered; drained by syncLoop
}

func (s *podStatusSyncer) SetPodStatus(st podStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses[st.pod] = st
	s.updates <- st // BUG: blocks with s.mu held once the channel is full
}

func (s *podStatusSyncer) GetPodStatus(pod string) (podStatus, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.statuses[pod]
	return st, ok
}

func (s *podStatusSyncer) markSynced(st podStatus) {
	s.mu.Lock()
	s.synced[st.pod] = st.phase
	s.mu.Unlock()
}

func (s *podStatusSyncer) syncPod(st podStatus) {
	time.Sleep(50 * time.Millisecond) // the API server round trip
	s.markSynced(st)
}

func (s *podStatusSyncer) syncLoop() {
	for st := range s.updates {
		s.syncPod(st)
	}
}

func (s *podStatusSyncer) podWorker(statuses []podStatus) {
	for _, st := range statuses {
		s.SetPodStatus(st)
	}
}

func runStatusChannelLockCycle() {
	s := &podStatusSyncer{statuses: map[string]podStatus{}, synced: map[string]string{},
		updates: make(chan podStatus, 1)}
	go s.syncLoop()
	go s.podWorker([]podStatus{{"web-1", "Pending"}, {"web-2", "Pending"}, {"web-1", "Running"}})
	awaitParked("main.(*podStatusSyncer).markSynced", 1)
	awaitParked("main.(*podStatusSyncer).SetPodStatus", 1)
	go s.GetPodStatus("web-2")
	awaitParked("main.(*podStatusSyncer).GetPodStatus", 1)
}

// watcher-remove-cond-cycle --------------------------------------------------------------------
// Modelled on moby#27779/#27782 (fsnotify under the json-file log follower): Remove waits on a
// Cond for the IN_IGNORED event, while the inotify reader is stuck pushing an IN_MODIFY event to
// the follower, which is the goroutine inside Remove.

type rawEvent struct {
	path    string
	ignored bool
}

type inotifyWatcher struct {
	mu      sync.Mutex
	cond    *sync.Cond
	watches map[string]bool
	kernel  chan rawEvent // the kernel's event queue
	Events  chan string
}

func newInotifyWatcher() *inotifyWatcher {
	w := &inotifyWatcher{watches: map[string]bool{}, kernel: make(chan rawEvent, 16), Events: make(chan string)}
	w.cond = sync.NewCond(&w.mu)
	return w
}

func (w *inotifyWatcher) Add(path string) {
	w.mu.Lock()
	w.watches[path] = true
	w.mu.Unlock()
}

func (w *inotifyWatcher) readEvents() {
	for ev := range w.kernel {
		if ev.ignored {
			w.mu.Lock()
			delete(w.watches, ev.path)
			w.cond.Broadcast()
			w.mu.Unlock()
			continue
		}
		w.Events <- ev.path
	}
}

// Remove asks the kernel to drop the watch and waits until the reader has seen IN_IGNORED.
func (w *inotifyWatcher) Remove(path string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.kernel <- rawEvent{path: path, ignored: true}
	for w.watches[path] {
		w.cond.Wait()
	}
}

type logTail struct {
	path    string
	w       *inotifyWatcher
	closing chan struct{}
	lines   int
}

func (t *logTail) readNewLines() {
	time.Sleep(50 * time.Millisecond) // decoding the new JSON lines
	t.lines++
}

func (t *logTail) follow() {
	for {
		select {
		case <-t.closing:
			t.w.Remove(t.path)
			return
		default:
		}
		select {
		case <-t.w.Events:
			t.readNewLines()
		case <-t.closing:
			t.w.Remove(t.path)
			return
		}
	}
}

func runWatcherRemoveCondCycle() {
	const path = "/var/lib/docker/containers/3f2a/3f2a-json.log"
	w := newInotifyWatcher()
	w.Add(path)
	t := &logTail{path: path, w: w, closing: make(chan struct{})}
	go w.readEvents()
	go t.follow()
	w.kernel <- rawEvent{path: path} // IN_MODIFY: the follower reads it
	awaitParked("main.(*logTail).readNewLines", 1)
	w.kernel <- rawEvent{path: path} // IN_MODIFY while the container exits
	close(t.closing)
	awaitParked("main.(*inotifyWatcher).Remove", 1)
}

// rlock-cond-writer-cycle ----------------------------------------------------------------------
// Modelled on kubernetes#58107 (resource quota controller): workers held workerLock.RLock while
// waiting in a queue's cond.Wait; Sync's workerLock.Lock queued behind them, and the goroutines
// that would feed the queue blocked in RLock behind the writer.

type quotaQueue struct {
	mu    sync.Mutex
	cond  *sync.Cond
	items []string
}

func newQuotaQueue() *quotaQueue {
	q := &quotaQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *quotaQueue) push(item string) {
	q.mu.Lock()
	q.items = append(q.items, item)
	q.cond.Signal()
	q.mu.Unlock()
}

func (q *quotaQueue) pop() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 {
		q.cond.Wait()
	}
	item := q.items[0]
	q.items = q.items[1:]
	return item
}

type quotaController struct {
	workerLock sync.RWMutex // read-held by the workers, write-held by a monitor resync
	primary    *quotaQueue
	missing    *quotaQueue // quotas missing usage: replenished into primary
	monitors   int
	synced     map[string]int
}

func (c *quotaController) syncWorker() {
	for {
		c.workerLock.RLock()
		item := c.primary.pop() // BUG: waits with the read lock held
		c.synced[item]++
		c.workerLock.RUnlock()
	}
}

func (c *quotaController) replenish() {
	for {
		c.workerLock.RLock()
		item := c.missing.pop()
		c.primary.push(item)
		c.workerLock.RUnlock()
	}
}

func (c *quotaController) resyncMonitors() {
	c.workerLock.Lock()
	defer c.workerLock.Unlock()
	c.monitors++
}

func runRLockCondWriterCycle() {
	c := &quotaController{primary: newQuotaQueue(), missing: newQuotaQueue(), synced: map[string]int{}}
	go c.syncWorker()
	awaitParked("main.(*quotaQueue).pop", 1)
	go c.resyncMonitors()
	awaitParked("main.(*quotaController).resyncMonitors", 1)
	c.missing.push("team-a/compute-quota")
	go c.replenish()
	awaitParked("main.(*quotaController).replenish", 1)
}

// config-commit-cycle --------------------------------------------------------------------------
// Modelled on syncthing#5795: the ClusterConfig receiver, running on the connection's
// dispatcher loop, waits for the config commit; the commit closes connections and waits for
// their dispatcher loops to exit.

type peerConn struct {
	device         string
	inbox          chan string
	closed         chan struct{}
	dispatcherDone chan struct{}
	closeOnce      sync.Once
	model          *syncModel
}

func (c *peerConn) dispatcherLoop() {
	defer close(c.dispatcherDone)
	for {
		select {
		case folder := <-c.inbox:
			c.model.ClusterConfig(c, folder)
		case <-c.closed:
			return
		}
	}
}

//go:noinline
func (c *peerConn) Close() {
	c.closeOnce.Do(func() {
		close(c.closed)
		<-c.dispatcherDone
	})
}

type syncModel struct {
	mu      sync.Mutex
	conns   []*peerConn
	folders map[string]bool
}

func (m *syncModel) ClusterConfig(c *peerConn, folder string) {
	var committed sync.WaitGroup
	committed.Add(1)
	go m.commitConfig(folder, &committed)
	m.handleAutoAccepts(folder, &committed)
}

func (m *syncModel) handleAutoAccepts(folder string, committed *sync.WaitGroup) {
	committed.Wait()
	m.mu.Lock()
	m.folders[folder+"/accepted"] = true
	m.mu.Unlock()
}

func (m *syncModel) commitConfig(folder string, committed *sync.WaitGroup) {
	defer committed.Done()
	m.mu.Lock()
	m.folders[folder] = true
	conns := append([]*peerConn(nil), m.conns...)
	m.mu.Unlock()
	m.restartFolder(folder, conns)
}

// restartFolder drops the folder's connections so that they reconnect with the new config.
func (m *syncModel) restartFolder(folder string, conns []*peerConn) {
	for _, c := range conns {
		c.Close()
	}
}

func runConfigCommitCycle() {
	m := &syncModel{folders: map[string]bool{}}
	c := &peerConn{device: "MFZWI3D", inbox: make(chan string), closed: make(chan struct{}),
		dispatcherDone: make(chan struct{}), model: m}
	m.conns = append(m.conns, c)
	go c.dispatcherLoop()
	c.inbox <- "photos"
	awaitParked("main.(*syncModel).handleAutoAccepts", 1)
	awaitParked("main.(*peerConn).Close.func1", 1)
}

// ---------------------------------------------------------------------------------------------
// The held-out benign look-alikes: parked, but woken 25 s after start (the ticker loop wakes
// every 12 s and parks again at once). Their counts hold for the first 20 s.

var heldoutBenignSites = []site{
	benign("main.(*warmupGate).wait", 2),          // a channel that a 25 s time.AfterFunc closes
	benign("main.(*delayedFeed).consume", 1),      // waits for a value sent after 25 s
	benign("main.(*delayedFeed).produce", 1),      // the sender, sleeping
	benign("main.(*snapshotWriter).persist", 1),   // holds a mutex while sleeping 25 s
	benign("main.(*snapshotWriter).lastIndex", 2), // waiting on that mutex
	benign("main.(*electionGate).awaitLeader", 2), // sync.Cond waiters
	benign("main.(*electionGate).campaign", 1),    // broadcasts after sleeping 25 s
	benign("main.(*gcSweeper).loop", 1),           // select on a ticker and a stop channel
}

type warmupGate struct {
	ready  chan struct{}
	warmed []string
	mu     sync.Mutex
}

func (g *warmupGate) open() { close(g.ready) }

func (g *warmupGate) wait(name string) {
	<-g.ready
	g.mu.Lock()
	g.warmed = append(g.warmed, name)
	g.mu.Unlock()
}

type delayedFeed struct {
	ch       chan string
	received string
}

func (f *delayedFeed) produce(delay time.Duration) {
	time.Sleep(delay) // the upstream batch job
	f.ch <- "batch-0001"
}

func (f *delayedFeed) consume() {
	f.received = <-f.ch
}

type snapshotWriter struct {
	mu    sync.Mutex
	index uint64
	held  chan struct{}
}

func (w *snapshotWriter) persist(d time.Duration) {
	w.mu.Lock()
	close(w.held)
	time.Sleep(d) // fsync of a large snapshot
	w.index++
	w.mu.Unlock()
}

func (w *snapshotWriter) lastIndex() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.index
}

type electionGate struct {
	mu     sync.Mutex
	cond   *sync.Cond
	leader string
}

func (e *electionGate) awaitLeader() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	for e.leader == "" {
		e.cond.Wait()
	}
	return e.leader
}

func (e *electionGate) campaign(d time.Duration) {
	time.Sleep(d) // the election timeout
	e.mu.Lock()
	e.leader = "node-2"
	e.cond.Broadcast()
	e.mu.Unlock()
}

type gcSweeper struct {
	every time.Duration
	swept int
	stop  chan struct{}
}

func (s *gcSweeper) loop() {
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.swept++
		case <-s.stop:
			return
		}
	}
}

// startHeldoutBenign starts the held-out look-alikes and waits until they are all parked.
func startHeldoutBenign() {
	g := &warmupGate{ready: make(chan struct{})}
	time.AfterFunc(25*time.Second, g.open)
	go g.wait("routes")
	go g.wait("templates")

	f := &delayedFeed{ch: make(chan string)}
	go f.produce(25 * time.Second)
	go f.consume()

	w := &snapshotWriter{held: make(chan struct{})}
	go w.persist(25 * time.Second)
	<-w.held
	go w.lastIndex()
	go w.lastIndex()

	e := &electionGate{}
	e.cond = sync.NewCond(&e.mu)
	go e.awaitLeader()
	go e.awaitLeader()
	go e.campaign(25 * time.Second)

	go (&gcSweeper{every: 12 * time.Second, stop: make(chan struct{})}).loop()

	for _, s := range heldoutBenignSites {
		awaitParked(s.Function, s.Count)
	}
}
