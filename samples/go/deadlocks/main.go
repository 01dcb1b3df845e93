// Command deadlocks is ground truth for a wait-for-graph analysis of goroutine dumps. Each
// shape reproduces one kind of blocking concurrency bug the way a unit test hits it: the shape
// runs once and returns, and leaves goroutines blocked forever, some of them in a wait cycle.
// Next to it, every run starts the same set of benign look-alikes: goroutines that are parked
// too, but that something will wake (a ticker, a sleeping lock holder, a slow backend).
//
//	deadlocks -list                        one JSON line per shape (the manifest, see below)
//	deadlocks -shape NAME [-dump-after 1s] start the benign look-alikes, run the shape once,
//	  [-dumps N -dump-every 1s]            sleep, print the manifest and the dumps, exit 0
//	deadlocks -shape NAME -serve           the same, but serve net/http/pprof instead of dumping
//
// The manifest of a shape is one JSON object:
//
//	{"shape":NAME,"what":DESCRIPTION,"sites":[{"function":F,"kind":K,"count":N},...]}
//
// F is the leaf-most frame of package main in the stacks of the goroutines blocked at that
// site, spelled as Go prints it in a goroutine dump; N is how many goroutines block there after
// one run; K is "deadlock" for members of a wait cycle (each waits for something that only
// another member can give), "leak" for goroutines blocked forever outside any cycle, and
// "benign" for the look-alikes, which will be woken. The benign sites close every manifest.
//
// -shape prints, on stdout and nothing else:
//
//	MANIFEST {json}
//	DUMP debug=2                                     (-dumps times, -dump-every apart)
//	<pprof.Lookup("goroutine").WriteTo(os.Stdout, 2)>
//	DUMP goroutineleak debug=1                       (only where the profile exists: Go 1.26
//	<pprof.Lookup("goroutineleak").WriteTo(..., 1)>   with GOEXPERIMENT=goroutineleakprofile, 1.27)
//	END
//
// and with -serve, after the manifest, "LISTENING http://127.0.0.1:PORT"; it then serves
// /debug/pprof/ until killed (its main goroutine then waits in Accept, outside the manifest).
//
// The benign counts hold for the first 20 seconds: the lock holders and the batch workers finish
// after 25 to 30 seconds, and their waiters go on.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// site is where goroutines block: the leaf-most package-main function of their stacks.
type site struct {
	Function string `json:"function"`
	Kind     string `json:"kind"`
	Count    int    `json:"count"`
}

// shape is one kind of blocking bug.
type shape struct {
	Name  string
	What  string
	Sites []site
	Run   func() // runs the buggy code once, like a test function, and returns
}

type manifest struct {
	Shape string `json:"shape"`
	Set   string `json:"set"` // "tuned", or "heldout": shapes no rule of the analysis was tuned on
	What  string `json:"what"`
	Sites []site `json:"sites"`
}

func leak(fn string, n int) site     { return site{fn, "leak", n} }
func deadlock(fn string, n int) site { return site{fn, "deadlock", n} }
func benign(fn string, n int) site   { return site{fn, "benign", n} }

// shapes, in the order -list prints them.
var shapes = []shape{
	{"chan-lock-cycle",
		"A holds a mutex and sends on an unbuffered channel; B receives on it only after taking the mutex",
		[]site{deadlock("main.(*orderBook).apply", 1), deadlock("main.(*orderBook).listen", 1)},
		runChanLockCycle},
	{"abba-lock-order",
		"two goroutines take two structs' mutexes in opposite orders through methods (AB-BA)",
		[]site{deadlock("main.(*ledger).record", 1), deadlock("main.(*inventory).count", 1)},
		runABBA},
	{"missed-unlock",
		"an error path returns with the mutex held; later callers wait on a mutex no goroutine holds",
		[]site{leak("main.(*rateLimiter).allow", 3)},
		runMissedUnlock},
	{"missed-runlock",
		"an error path returns without RUnlock; a writer waits in Lock and readers pile up behind it",
		[]site{leak("main.(*configStore).update", 1), leak("main.(*configStore).get", 3)},
		runMissedRUnlock},
	{"cond-no-signal",
		"consumers wait on a sync.Cond; close sets the flag but never broadcasts",
		[]site{leak("main.(*jobQueue).pop", 2)},
		runCondNoSignal},
	{"cond-lost-signal",
		"Signal comes before the waiter waits, and Wait checks no predicate: the wake-up is lost",
		[]site{leak("main.(*readyGate).waitReady", 1)},
		runCondLostSignal},
	{"waitgroup-missing-done",
		"a worker's error path returns without wg.Done; the caller waits in wg.Wait forever",
		[]site{leak("main.fetchAll", 1)},
		runWaitGroupMissingDone},
	{"send-after-timeout",
		"the caller gives up on a timeout and returns; the replicas block sending their answers",
		[]site{leak("main.replica.query", 3)},
		runSendAfterTimeout},
	{"select-no-sender",
		"watchers select on two channels that nobody sends on or closes (no default, no timer)",
		[]site{leak("main.(*leaderWatcher).await", 2)},
		runSelectNoSender},
	{"first-error-return",
		"hand-made errgroup: the leader returns on the first error, the other workers block sending results and the closer waits on the WaitGroup",
		[]site{leak("main.runChecks.func1", 4), leak("main.runChecks.func2", 1)},
		runFirstErrorReturn},
	{"undrained-results",
		"workers send into a buffered results channel that nobody ever reads",
		[]site{leak("main.(*indexer).worker", 2)},
		runUndrainedResults},
	{"stopped-timer",
		"goroutines wait for a timer that was stopped: one on a channel only a stopped AfterFunc would close, one on a stopped Timer's C",
		[]site{leak("main.(*retryScheduler).awaitRetry", 1), leak("main.waitForDeadline", 1)},
		runStoppedTimer},
	{"send-after-cancel",
		"the consumer leaves on ctx.Done; the producer sends on the unbuffered channel without selecting on ctx",
		[]site{leak("main.streamRows", 1)},
		runSendAfterCancel},
	{"once-blocked",
		"the function in sync.Once.Do waits on a channel never closed; other callers of Do pile up behind it",
		[]site{leak("main.(*tokenSource).fetch", 1), leak("main.(*tokenSource).Token", 3)},
		runOnceBlocked},
	{"nil-chan-receive",
		"receive (range) on a channel field that the constructor never initialised",
		[]site{leak("main.(*subscription).pump", 2)},
		runNilChanReceive},
	{"nil-chan-send",
		"asynchronous send on a channel field that was never initialised",
		[]site{leak("main.(*auditLog).recordAsync.func1", 3)},
		runNilChanSend},
	{"select-forever",
		"a helper goroutine ends in select {} to keep itself alive",
		[]site{leak("main.(*pluginHost).start.func1", 1)},
		runSelectForever},
	{"pipeline-stopped-consumer",
		"the consumer of a two-stage pipeline stops early; the stage and the producer block sending",
		[]site{leak("main.square", 1), leak("main.generate", 1)},
		runPipelineStoppedConsumer},
	{"double-lock",
		"a method takes the mutex and calls another method that takes it again (self-deadlock)",
		[]site{deadlock("main.(*lruCache).size", 1)},
		runDoubleLock},
	{"rlock-behind-blocked-writer",
		"a writer holds an RWMutex while sending on a channel whose listener is gone; readers block in RLock behind it",
		[]site{leak("main.(*dnsCache).refresh", 1), leak("main.(*dnsCache).lookupHost", 3)},
		runRLockBehindBlockedWriter},
	{"rwmutex-chan-cycle",
		"a writer holds an RWMutex and sends an event to a dispatcher that is itself in RLock; other readers queue behind",
		[]site{deadlock("main.(*serviceRegistry).register", 1), deadlock("main.(*serviceRegistry).endpoints", 1),
			leak("main.(*serviceRegistry).snapshot", 2)},
		runRWMutexChanCycle},
	{"three-lock-cycle",
		"three replicas each lock their own mutex and then their peer's (A->B->C->A)",
		[]site{deadlock("main.(*shardReplica).syncWithPeer", 3)},
		runThreeLockCycle},
	{"leak-per-request",
		"a request handler leaks one sending goroutine on an early return; 50 requests leak 50",
		[]site{leak("main.handleSearch.func1", 50)},
		runLeakPerRequest},
	{"wait-on-leaked-holder",
		"waiters wait for a done channel that a goroutine, itself blocked forever, would have closed",
		[]site{leak("main.(*fetcher).run", 1), leak("main.(*fetcher).wait", 2)},
		runWaitOnLeakedHolder},
	{"waitgroup-under-lock",
		"wg.Wait while holding the mutex that the workers need before they call Done",
		[]site{deadlock("main.(*shardSet).flushAll", 1), deadlock("main.(*shardSet).flushShard", 3)},
		runWaitGroupUnderLock},
	{"range-unclosed",
		"a consumer ranges over a channel that the producer never closes",
		[]site{leak("main.(*batcher).start.func1", 1)},
		runRangeUnclosed},
	{"recursive-rlock",
		"a reader takes RLock twice; a writer queued in between blocks the second RLock and waits for the first",
		[]site{deadlock("main.(*topology).nodeCount", 1), deadlock("main.(*topology).addNode", 1)},
		runRecursiveRLock},
	{"mutual-send",
		"two peers each send to the other's unbuffered inbox before reading their own",
		[]site{deadlock("main.(*peer).greet", 2)},
		runMutualSend},
	{"semaphore-not-released",
		"an error path keeps its slot of a channel semaphore; later uploads block acquiring one",
		[]site{leak("main.(*uploader).upload", 3)},
		runSemaphoreNotReleased},
	{"cancel-never-called",
		"goroutines wait on ctx.Done of a context whose cancel function is dropped",
		[]site{leak("main.watchConfig", 2)},
		runCancelNeverCalled},
	{"lock-held-receive-cycle",
		"get holds the pool mutex while receiving an idle connection; put needs the mutex to send one",
		[]site{deadlock("main.(*connPool).get", 1), deadlock("main.(*connPool).put", 1)},
		runLockHeldReceiveCycle},
}

// ---------------------------------------------------------------------------------------------
// The shapes.

// chan-lock-cycle ------------------------------------------------------------------------------

type orderBook struct {
	symbol  string
	updates chan int
	mu      sync.Mutex
	orders  map[int]int
}

// apply records an order and, still holding mu, hands its id to the listener.
func (b *orderBook) apply(id int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.orders[id]++
	b.updates <- id
}

// listen rebuilds its view of the book under mu, then takes the next update.
func (b *orderBook) listen() {
	depth := 0
	for {
		time.Sleep(50 * time.Millisecond) // rendering the previous view
		b.mu.Lock()
		depth = len(b.orders)
		b.mu.Unlock()
		id := <-b.updates
		depth += id
	}
}

func runChanLockCycle() {
	b := &orderBook{symbol: "ACME", updates: make(chan int), orders: map[int]int{}}
	go b.apply(1)
	awaitParked("main.(*orderBook).apply", 1)
	go b.listen()
}

// abba-lock-order ------------------------------------------------------------------------------

type inventory struct {
	warehouse string
	stock     map[string]int
	mu        sync.Mutex
	ledger    *ledger
}

type ledger struct {
	entries []string
	mu      sync.Mutex
	inv     *inventory
}

// reserve takes the inventory's lock, then the ledger's (through record).
func (i *inventory) reserve(sku string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.stock[sku]--
	time.Sleep(50 * time.Millisecond) // checking the reservation with the warehouse
	i.ledger.record("reserve " + sku)
}

func (i *inventory) count(sku string) int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.stock[sku]
}

func (l *ledger) record(entry string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, entry)
}

// reconcile takes the ledger's lock, then the inventory's (through count).
func (l *ledger) reconcile(sku string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	time.Sleep(50 * time.Millisecond) // summing the entries
	return len(l.entries) - l.inv.count(sku)
}

func runABBA() {
	inv := &inventory{warehouse: "east", stock: map[string]int{"widget": 10}}
	l := &ledger{inv: inv}
	inv.ledger = l
	go inv.reserve("widget")
	go l.reconcile("widget")
}

// missed-unlock --------------------------------------------------------------------------------

var errUnknownTenant = errors.New("unknown tenant")

type rateLimiter struct {
	burst   int
	buckets map[string]int
	mu      sync.Mutex
}

func (r *rateLimiter) allow(tenant string) (bool, error) {
	r.mu.Lock()
	n, ok := r.buckets[tenant]
	if !ok {
		return false, errUnknownTenant // BUG: returns with mu held
	}
	if n >= r.burst {
		r.mu.Unlock()
		return false, nil
	}
	r.buckets[tenant] = n + 1
	r.mu.Unlock()
	return true, nil
}

func runMissedUnlock() {
	r := &rateLimiter{burst: 5, buckets: map[string]int{"acme": 0}}
	if _, err := r.allow("ghost"); err == nil {
		panic("expected an error")
	}
	for i := 0; i < 3; i++ {
		go func() { r.allow("acme") }()
	}
}

// missed-runlock -------------------------------------------------------------------------------

type configStore struct {
	version int
	values  map[string]string
	mu      sync.RWMutex
}

func (c *configStore) get(key string) (string, error) {
	c.mu.RLock()
	v, ok := c.values[key]
	if !ok {
		return "", fmt.Errorf("config key %q not set", key) // BUG: no RUnlock
	}
	c.mu.RUnlock()
	return v, nil
}

func (c *configStore) update(key, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.values[key] = value
	c.version++
}

func runMissedRUnlock() {
	c := &configStore{values: map[string]string{"region": "eu"}}
	if _, err := c.get("timeout"); err == nil {
		panic("expected an error")
	}
	go c.update("timeout", "30s")
	awaitParked("main.(*configStore).update", 1)
	for i := 0; i < 3; i++ {
		go c.get("region")
	}
}

// cond-no-signal -------------------------------------------------------------------------------

type jobQueue struct {
	name   string
	items  []string
	closed bool
	mu     sync.Mutex
	cond   *sync.Cond
}

func newJobQueue(name string) *jobQueue {
	q := &jobQueue{name: name}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *jobQueue) pop() (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.cond.Wait()
	}
	if len(q.items) == 0 {
		return "", false
	}
	item := q.items[0]
	q.items = q.items[1:]
	return item, true
}

func (q *jobQueue) close() {
	q.mu.Lock()
	q.closed = true // BUG: no q.cond.Broadcast()
	q.mu.Unlock()
}

func runCondNoSignal() {
	q := newJobQueue("thumbnails")
	for i := 0; i < 2; i++ {
		go q.pop()
	}
	awaitParked("main.(*jobQueue).pop", 2)
	q.close()
}

// cond-lost-signal -----------------------------------------------------------------------------

type readyGate struct {
	mu   sync.Mutex
	cond *sync.Cond
	name string
}

func (g *readyGate) markReady() {
	g.mu.Lock()
	g.cond.Signal() // BUG: no state: a signal before anyone waits is lost
	g.mu.Unlock()
}

func (g *readyGate) waitReady() {
	g.mu.Lock()
	g.cond.Wait() // BUG: waits without checking a predicate
	g.mu.Unlock()
}

func runCondLostSignal() {
	g := &readyGate{name: "cache-warm"}
	g.cond = sync.NewCond(&g.mu)
	g.markReady()
	go g.waitReady()
}

// waitgroup-missing-done -----------------------------------------------------------------------

func fetchURL(u string) error {
	time.Sleep(10 * time.Millisecond)
	if strings.HasPrefix(u, "bad:") {
		return fmt.Errorf("fetch %s: bad scheme", u)
	}
	return nil
}

func fetchAll(urls []string) {
	var wg sync.WaitGroup
	wg.Add(len(urls))
	for _, u := range urls {
		go func(u string) {
			if err := fetchURL(u); err != nil {
				return // BUG: no wg.Done()
			}
			wg.Done()
		}(u)
	}
	wg.Wait()
}

func runWaitGroupMissingDone() {
	go fetchAll([]string{"https://a.example/1", "bad://b.example/2", "https://c.example/3"})
}

// send-after-timeout ---------------------------------------------------------------------------

var errTimeout = errors.New("timeout")

type replica struct {
	addr    string
	latency time.Duration
}

func (r replica) query(key string, out chan<- string) {
	time.Sleep(r.latency)
	out <- r.addr + "/" + key
}

func readQuorum(replicas []replica, key string, timeout time.Duration) (string, error) {
	out := make(chan string)
	for _, r := range replicas {
		go r.query(key, out)
	}
	select {
	case v := <-out:
		return v, nil
	case <-time.After(timeout):
		return "", errTimeout
	}
}

func runSendAfterTimeout() {
	replicas := []replica{{"10.0.0.1", 100 * time.Millisecond}, {"10.0.0.2", 110 * time.Millisecond},
		{"10.0.0.3", 120 * time.Millisecond}}
	if _, err := readQuorum(replicas, "user:42", 10*time.Millisecond); err == nil {
		panic("expected a timeout")
	}
}

// select-no-sender -----------------------------------------------------------------------------

type leaderWatcher struct {
	key     string
	elected chan string
	lost    chan error
	leader  string
}

func (w *leaderWatcher) await() {
	select {
	case id := <-w.elected:
		w.leader = id
	case err := <-w.lost:
		w.leader = "lost: " + err.Error()
	}
}

func runSelectNoSender() {
	for _, key := range []string{"/election/scheduler", "/election/compactor"} {
		w := &leaderWatcher{key: key, elected: make(chan string), lost: make(chan error)}
		go w.await()
	}
}

// first-error-return ---------------------------------------------------------------------------

type healthCheck struct {
	name  string
	delay time.Duration
	fail  bool
}

func (c healthCheck) run() error {
	time.Sleep(c.delay)
	if c.fail {
		return fmt.Errorf("check %s failed", c.name)
	}
	return nil
}

// runChecks is an errgroup made by hand: it returns on the first error without draining.
func runChecks(checks []healthCheck) error {
	results := make(chan error)
	var wg sync.WaitGroup
	for _, c := range checks {
		wg.Add(1)
		go func(c healthCheck) {
			defer wg.Done()
			results <- c.run()
		}(c)
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	for err := range results {
		if err != nil {
			return err
		}
	}
	return nil
}

func runFirstErrorReturn() {
	checks := []healthCheck{{"db", 0, true}, {"cache", 80 * time.Millisecond, false},
		{"queue", 80 * time.Millisecond, false}, {"dns", 90 * time.Millisecond, false},
		{"disk", 100 * time.Millisecond, false}}
	if err := runChecks(checks); err == nil {
		panic("expected an error")
	}
}

// undrained-results ----------------------------------------------------------------------------

type indexer struct {
	shard   int
	results chan string
	indexed atomic.Int64
}

func (ix *indexer) worker(docs []string) {
	for _, d := range docs {
		ix.indexed.Add(1)
		ix.results <- strings.ToUpper(d)
	}
}

func runUndrainedResults() {
	ix := &indexer{shard: 3, results: make(chan string, 4)}
	// 10 sends into a buffer of 4: both workers block, whatever the interleaving.
	go ix.worker([]string{"a", "b", "c", "d", "e"})
	go ix.worker([]string{"f", "g", "h", "i", "j"})
}

// stopped-timer --------------------------------------------------------------------------------

type retryScheduler struct {
	attempts int
	idle     *time.Timer // its C is never read
	pending  *time.Timer
}

func (s *retryScheduler) awaitRetry(fired <-chan struct{}) {
	<-fired
	s.attempts++
}

// scheduleRetry arms a retry, then cancels it because the operation succeeded, leaving its
// waiter behind.
func (s *retryScheduler) scheduleRetry() {
	s.idle = time.NewTimer(time.Hour)
	fired := make(chan struct{})
	s.pending = time.AfterFunc(100*time.Millisecond, func() { close(fired) })
	go s.awaitRetry(fired)
	s.pending.Stop()
}

func waitForDeadline(t *time.Timer, done func()) {
	<-t.C
	done()
}

func runStoppedTimer() {
	s := &retryScheduler{}
	s.scheduleRetry()
	t := time.NewTimer(100 * time.Millisecond)
	t.Stop()
	go waitForDeadline(t, func() {})
}

// send-after-cancel ----------------------------------------------------------------------------

type row struct {
	id     int
	amount int
}

func streamRows(ctx context.Context, query string, out chan<- row) {
	for i := 0; i < 3; i++ {
		time.Sleep(100 * time.Millisecond)    // the query is slow
		out <- row{id: i, amount: len(query)} // BUG: ignores ctx.Done()
	}
}

func exportReport(ctx context.Context) (int, error) {
	rows := make(chan row)
	go streamRows(ctx, "SELECT * FROM invoices", rows)
	total := 0
	for {
		select {
		case r := <-rows:
			total += r.amount
		case <-ctx.Done():
			return total, ctx.Err()
		}
	}
}

func runSendAfterCancel() {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel) // the client goes away
	if _, err := exportReport(ctx); err == nil {
		panic("expected cancellation")
	}
}

// once-blocked ---------------------------------------------------------------------------------

type tokenSource struct {
	token string
	ready chan struct{} // closed by a credentials watcher that never started
	once  sync.Once
}

func (ts *tokenSource) fetch() {
	<-ts.ready
	ts.token = "secret"
}

func (ts *tokenSource) Token() string {
	ts.once.Do(ts.fetch)
	return ts.token
}

func runOnceBlocked() {
	ts := &tokenSource{ready: make(chan struct{})}
	go ts.Token()
	awaitParked("main.(*tokenSource).fetch", 1)
	for i := 0; i < 3; i++ {
		go ts.Token()
	}
}

// nil-chan-receive -----------------------------------------------------------------------------

type update struct{ key, value string }

type subscription struct {
	topic   string
	updates chan update // never made: newSubscription forgot it
	seen    int
}

func newSubscription(topic string) *subscription { return &subscription{topic: topic} }

func (s *subscription) pump() {
	for range s.updates {
		s.seen++
	}
}

func runNilChanReceive() {
	for _, t := range []string{"prices", "orders"} {
		go newSubscription(t).pump()
	}
}

// nil-chan-send --------------------------------------------------------------------------------

type auditEntry struct {
	user, action string
}

type auditLog struct {
	mu      sync.Mutex
	written int
	sink    chan auditEntry // never made
}

func (a *auditLog) recordAsync(user, action string) {
	a.mu.Lock()
	a.written++
	a.mu.Unlock()
	go func() {
		a.sink <- auditEntry{user, action}
	}()
}

func runNilChanSend() {
	a := &auditLog{}
	for _, u := range []string{"alice", "bob", "carol"} {
		a.recordAsync(u, "login")
	}
}

// select-forever -------------------------------------------------------------------------------

type pluginHost struct {
	name    string
	started atomic.Bool
}

func (h *pluginHost) start() {
	go func() {
		h.started.Store(true)
		select {} // "keep the plugin alive"
	}()
}

func runSelectForever() {
	(&pluginHost{name: "exporter"}).start()
}

// pipeline-stopped-consumer --------------------------------------------------------------------

func generate(nums []int, out chan<- int) {
	for _, n := range nums {
		out <- n
	}
	close(out)
}

func square(in <-chan int, out chan<- int) {
	for n := range in {
		out <- n * n
	}
	close(out)
}

// sumUntil reads squares until the sum passes limit, then stops reading.
func sumUntil(in <-chan int, limit int) int {
	sum := 0
	for v := range in {
		sum += v
		if sum > limit {
			break
		}
	}
	return sum
}

func runPipelineStoppedConsumer() {
	nums, squares := make(chan int), make(chan int)
	go generate([]int{1, 2, 3, 4, 5, 6, 7, 8}, nums)
	go square(nums, squares)
	sumUntil(squares, 4)
}

// double-lock ----------------------------------------------------------------------------------

type lruCache struct {
	capacity int
	entries  map[string][]byte
	mu       sync.Mutex
	misses   int
}

func (c *lruCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *lruCache) getOrLoad(key string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.entries[key]; ok {
		return v
	}
	c.misses++
	if c.size() >= c.capacity { // BUG: size takes c.mu again
		c.entries = map[string][]byte{}
	}
	v := []byte(key)
	c.entries[key] = v
	return v
}

func runDoubleLock() {
	c := &lruCache{capacity: 128, entries: map[string][]byte{}}
	go c.getOrLoad("user:7")
}

// rlock-behind-blocked-writer ------------------------------------------------------------------

type dnsCache struct {
	hosts   map[string]string
	changes chan string // the change listener's; it left on shutdown of its subsystem
	mu      sync.RWMutex
}

// refresh updates a host and tells the listener, holding the write lock while it does.
func (c *dnsCache) refresh(host, addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hosts[host] = addr
	c.changes <- host
}

func (c *dnsCache) lookupHost(host string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.hosts[host]
}

func (c *dnsCache) listen(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case <-c.changes:
		case <-stop:
			return
		}
	}
}

func runRLockBehindBlockedWriter() {
	c := &dnsCache{hosts: map[string]string{}, changes: make(chan string)}
	stop, done := make(chan struct{}), make(chan struct{})
	go c.listen(stop, done)
	c.refresh("db.internal", "10.0.0.5")
	close(stop)
	<-done
	go c.refresh("db.internal", "10.0.0.6")
	awaitParked("main.(*dnsCache).refresh", 1)
	for i := 0; i < 3; i++ {
		go c.lookupHost("db.internal")
	}
}

// rwmutex-chan-cycle ---------------------------------------------------------------------------

type endpoint struct{ service, addr string }

type serviceRegistry struct {
	name     string
	services map[string][]string
	events   chan endpoint
	mu       sync.RWMutex
}

// register adds an endpoint and, still holding the write lock, hands the event to dispatch.
func (r *serviceRegistry) register(e endpoint) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.services[e.service] = append(r.services[e.service], e.addr)
	r.events <- e
}

func (r *serviceRegistry) endpoints(service string) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]string(nil), r.services[service]...)
}

func (r *serviceRegistry) snapshot() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.services)
}

// dispatch handles events one at a time; handling one reads the registry.
func (r *serviceRegistry) dispatch() {
	for e := range r.events {
		time.Sleep(50 * time.Millisecond) // notifying the load balancer
		_ = r.endpoints(e.service)
	}
}

func runRWMutexChanCycle() {
	r := &serviceRegistry{name: "mesh", services: map[string][]string{}, events: make(chan endpoint)}
	go r.dispatch()
	go func() {
		r.register(endpoint{"billing", "10.1.0.1:80"})
		r.register(endpoint{"billing", "10.1.0.2:80"})
	}()
	awaitParked("main.(*serviceRegistry).endpoints", 1)
	for i := 0; i < 2; i++ {
		go r.snapshot()
	}
}

// three-lock-cycle -----------------------------------------------------------------------------

type shardReplica struct {
	id    int
	keys  map[string]int
	mu    sync.Mutex
	peer  *shardReplica
	ready *sync.WaitGroup // all replicas have taken their own lock
}

// syncWithPeer locks this replica, then its peer, to exchange the key sets.
func (r *shardReplica) syncWithPeer() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ready.Done()
	r.ready.Wait()
	r.peer.mu.Lock()
	defer r.peer.mu.Unlock()
	for k, v := range r.peer.keys {
		r.keys[k] = v
	}
}

func runThreeLockCycle() {
	ready := &sync.WaitGroup{}
	ready.Add(3)
	rs := make([]*shardReplica, 3)
	for i := range rs {
		rs[i] = &shardReplica{id: i, keys: map[string]int{}, ready: ready}
	}
	for i, r := range rs {
		r.peer = rs[(i+1)%len(rs)]
	}
	for _, r := range rs {
		go r.syncWithPeer()
	}
}

// leak-per-request -----------------------------------------------------------------------------

var errQueryTooShort = errors.New("query too short")

func spellingSuggestions(q string) []string {
	return []string{q + "s"}
}

// handleSearch starts the spelling lookup early, then returns on validation errors without
// reading its result.
func handleSearch(q string) ([]string, error) {
	suggestions := make(chan []string)
	go func() {
		suggestions <- spellingSuggestions(q)
	}()
	if len(q) < 3 {
		return nil, errQueryTooShort // BUG: the lookup goroutine blocks forever
	}
	return <-suggestions, nil
}

func runLeakPerRequest() {
	for i := 0; i < 50; i++ {
		handleSearch("q" + strconv.Itoa(i%10))
	}
}

// wait-on-leaked-holder ------------------------------------------------------------------------

type fetcher struct {
	url    string
	body   []byte
	errs   chan error    // nobody reads it
	done   chan struct{} // closed by run when it finishes
	status int
}

func (f *fetcher) run() {
	time.Sleep(10 * time.Millisecond)
	f.errs <- fmt.Errorf("GET %s: 503", f.url) // blocks forever
	close(f.done)
}

func (f *fetcher) wait() int {
	<-f.done
	return f.status
}

func runWaitOnLeakedHolder() {
	f := &fetcher{url: "https://api.example/v1/feed", errs: make(chan error), done: make(chan struct{})}
	go f.run()
	go f.wait()
	go f.wait()
}

// waitgroup-under-lock -------------------------------------------------------------------------

type shardSet struct {
	shards  []string
	flushed int
	mu      sync.Mutex
	wg      sync.WaitGroup
}

func (s *shardSet) flushShard(i int) {
	defer s.wg.Done()
	s.mu.Lock()
	s.flushed++
	s.mu.Unlock()
}

// flushAll holds s.mu while it waits for the shards, which need s.mu to finish.
func (s *shardSet) flushAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.shards {
		s.wg.Add(1)
		go s.flushShard(i)
	}
	s.wg.Wait()
}

func runWaitGroupUnderLock() {
	s := &shardSet{shards: []string{"s0", "s1", "s2"}}
	go s.flushAll()
}

// range-unclosed -------------------------------------------------------------------------------

type event struct {
	kind string
	at   time.Time
}

type batcher struct {
	size    int
	batches [][]event
}

func (b *batcher) start(in <-chan event) {
	go func() {
		var cur []event
		for ev := range in { // nobody closes in
			cur = append(cur, ev)
			if len(cur) == b.size {
				b.batches = append(b.batches, cur)
				cur = nil
			}
		}
		b.batches = append(b.batches, cur)
	}()
}

func emitEvents(out chan<- event, n int) {
	for i := 0; i < n; i++ {
		out <- event{kind: "click", at: time.Now()}
	}
	// BUG: no close(out)
}

func runRangeUnclosed() {
	in := make(chan event)
	(&batcher{size: 2}).start(in)
	emitEvents(in, 3)
}

// recursive-rlock ------------------------------------------------------------------------------

type topology struct {
	region string
	nodes  map[string]string
	mu     sync.RWMutex
}

func (t *topology) nodeCount() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.nodes)
}

// describe holds the read lock and calls nodeCount, which read-locks again.
func (t *topology) describe() string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	time.Sleep(100 * time.Millisecond) // formatting the node list
	return fmt.Sprintf("%s: %d nodes", t.region, t.nodeCount())
}

func (t *topology) addNode(name, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.nodes[name] = addr
}

func runRecursiveRLock() {
	t := &topology{region: "eu-west", nodes: map[string]string{"n1": "10.2.0.1"}}
	go t.describe()
	awaitParked("main.(*topology).describe", 1)
	go t.addNode("n2", "10.2.0.2")
	awaitParked("main.(*topology).addNode", 1)
}

// mutual-send ----------------------------------------------------------------------------------

type message struct {
	from string
	body string
}

type peer struct {
	name  string
	inbox chan message
	other *peer
}

// greet sends a hello to the other peer, then reads its own inbox.
func (p *peer) greet() message {
	p.other.inbox <- message{p.name, "hello"}
	return <-p.inbox
}

func runMutualSend() {
	a := &peer{name: "a", inbox: make(chan message)}
	b := &peer{name: "b", inbox: make(chan message), other: a}
	a.other = b
	go a.greet()
	go b.greet()
}

// semaphore-not-released -----------------------------------------------------------------------

type uploader struct {
	bucket   string
	slots    chan struct{} // at most cap(slots) uploads at once
	uploaded atomic.Int64
}

func (u *uploader) upload(name string, data []byte) error {
	u.slots <- struct{}{}
	if len(data) == 0 {
		return fmt.Errorf("upload %s: empty object", name) // BUG: keeps the slot
	}
	u.uploaded.Add(1)
	<-u.slots
	return nil
}

func runSemaphoreNotReleased() {
	u := &uploader{bucket: "backups", slots: make(chan struct{}, 2)}
	u.upload("a.tar", nil)
	u.upload("b.tar", nil)
	for _, name := range []string{"c.tar", "d.tar", "e.tar"} {
		go u.upload(name, []byte("data"))
	}
}

// cancel-never-called --------------------------------------------------------------------------

func watchConfig(ctx context.Context, path string, reload func(string)) {
	<-ctx.Done()
	reload(path)
}

type watchSession struct {
	path string
	stop context.CancelFunc // Close would call it; nobody calls Close
}

func newWatchSession(path string) *watchSession {
	ctx, cancel := context.WithCancel(context.Background())
	s := &watchSession{path: path, stop: cancel}
	go watchConfig(ctx, path, func(string) {})
	return s
}

func (s *watchSession) Close() { s.stop() }

func runCancelNeverCalled() {
	newWatchSession("/etc/app/limits.yaml")
	newWatchSession("/etc/app/routes.yaml")
}

// lock-held-receive-cycle ----------------------------------------------------------------------

type conn struct{ id int }

type connPool struct {
	max  int
	idle chan *conn
	mu   sync.Mutex
	open int
}

// get holds p.mu while it waits for an idle connection.
func (p *connPool) get() *conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.open < p.max {
		p.open++
		return &conn{id: p.open}
	}
	return <-p.idle
}

// put needs p.mu to hand a connection back.
func (p *connPool) put(c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.idle <- c
}

func runLockHeldReceiveCycle() {
	p := &connPool{max: 1, idle: make(chan *conn)}
	c := p.get()
	go p.get()
	awaitParked("main.(*connPool).get", 1)
	go p.put(c)
}

// ---------------------------------------------------------------------------------------------
// The benign look-alikes: parked, but something will wake them.

var benignSites = []site{
	benign("main.(*workerPool).worker", 4),       // idle pool reading its jobs channel
	benign("main.(*workerPool).feed", 1),         // feeds the pool from a ticker every 10 s
	benign("main.(*metricsReporter).run", 1),     // ticker loop in a select
	benign("main.(*apiClient).awaitResponse", 1), // in-flight request, answered after 20 s
	benign("main.slowBackend", 1),                // the backend, sleeping, holding the reply channel
	benign("main.(*sessionStore).compact", 1),    // holds a mutex while it sleeps 30 s
	benign("main.(*sessionStore).lookup", 2),     // waiting on that mutex
	benign("main.(*routeTable).reload", 1),       // holds an RWMutex's write lock, sleeps 30 s
	benign("main.(*routeTable).resolve", 2),      // waiting in RLock
	benign("main.(*batchJob).process", 3),        // workers sleeping, will call Done
	benign("main.(*batchJob).wait", 1),           // WaitGroup.Wait on them
	benign("main.(*leaseKeeper).renewLoop", 1),   // select with time.After(30 s)
	benign("main.(*eventBus).waitNext", 2),       // sync.Cond waiters, broadcast every 10 s
	benign("main.(*eventBus).heartbeat", 1),      // the broadcaster, on a ticker
}

type workerPool struct {
	name  string
	jobs  chan func()
	ran   atomic.Int64
	every time.Duration
}

func (p *workerPool) worker() {
	for job := range p.jobs {
		job()
		p.ran.Add(1)
	}
}

func (p *workerPool) feed() {
	t := time.NewTicker(p.every)
	defer t.Stop()
	for range t.C {
		p.jobs <- func() {}
	}
}

type metricsReporter struct {
	interval time.Duration
	flushes  int
	stop     chan struct{}
}

func (m *metricsReporter) run() {
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			m.flushes++
		case <-m.stop:
			return
		}
	}
}

type response struct {
	status int
	body   string
}

type apiClient struct {
	endpoint string
	served   int
}

func slowBackend(path string, delay time.Duration, reply chan<- response) {
	time.Sleep(delay)
	reply <- response{200, "ok " + path}
}

func (c *apiClient) awaitResponse(reply <-chan response) response {
	return <-reply
}

// pollLoop keeps one request in flight: the backend answers each after 20 s.
func (c *apiClient) pollLoop() {
	for {
		reply := make(chan response)
		go slowBackend(c.endpoint, 20*time.Second, reply)
		if r := c.awaitResponse(reply); r.status == 200 {
			c.served++
		}
	}
}

type sessionStore struct {
	sessions map[string]int
	mu       sync.Mutex
	held     chan struct{}
}

func (s *sessionStore) compact() {
	s.mu.Lock()
	close(s.held)
	time.Sleep(30 * time.Second) // rewriting the session file
	s.sessions = map[string]int{}
	s.mu.Unlock()
}

func (s *sessionStore) lookup(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
}

type routeTable struct {
	routes map[string]string
	mu     sync.RWMutex
	held   chan struct{}
}

func (t *routeTable) reload() {
	t.mu.Lock()
	close(t.held)
	time.Sleep(30 * time.Second) // fetching the new table
	t.routes = map[string]string{"/": "web"}
	t.mu.Unlock()
}

func (t *routeTable) resolve(path string) string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.routes[path]
}

type batchJob struct {
	items []string
	wg    sync.WaitGroup
	done  atomic.Int64
}

func (b *batchJob) process(item string) {
	defer b.wg.Done()
	time.Sleep(25 * time.Second) // transcoding
	b.done.Add(int64(len(item)))
}

func (b *batchJob) wait() int64 {
	b.wg.Wait()
	return b.done.Load()
}

type leaseKeeper struct {
	lease   string
	renewed int
	stop    chan struct{}
}

func (l *leaseKeeper) renewLoop() {
	for {
		select {
		case <-time.After(30 * time.Second):
			l.renewed++
		case <-l.stop:
			return
		}
	}
}

type eventBus struct {
	seq  int
	mu   sync.Mutex
	cond *sync.Cond
}

func (b *eventBus) waitNext() {
	seen := 0
	for {
		b.mu.Lock()
		for b.seq == seen {
			b.cond.Wait()
		}
		seen = b.seq
		b.mu.Unlock()
	}
}

func (b *eventBus) heartbeat(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for range t.C {
		b.mu.Lock()
		b.seq++
		b.cond.Broadcast()
		b.mu.Unlock()
	}
}

// startBenign starts the look-alikes and waits until they are all parked.
func startBenign() {
	pool := &workerPool{name: "email", jobs: make(chan func()), every: 10 * time.Second}
	for i := 0; i < 4; i++ {
		go pool.worker()
	}
	go pool.feed()

	go (&metricsReporter{interval: 5 * time.Second, stop: make(chan struct{})}).run()
	go (&apiClient{endpoint: "/v1/inventory"}).pollLoop()

	store := &sessionStore{sessions: map[string]int{}, held: make(chan struct{})}
	go store.compact()
	<-store.held
	go store.lookup("s-1")
	go store.lookup("s-2")

	table := &routeTable{routes: map[string]string{}, held: make(chan struct{})}
	go table.reload()
	<-table.held
	go table.resolve("/")
	go table.resolve("/api")

	job := &batchJob{items: []string{"a.mp4", "b.mp4", "c.mp4"}}
	job.wg.Add(len(job.items))
	for _, it := range job.items {
		go job.process(it)
	}
	go job.wait()

	go (&leaseKeeper{lease: "leader", stop: make(chan struct{})}).renewLoop()

	bus := &eventBus{}
	bus.cond = sync.NewCond(&bus.mu)
	go bus.waitNext()
	go bus.waitNext()
	go bus.heartbeat(10 * time.Second)

	for _, s := range benignSites {
		awaitParked(s.Function, s.Count)
	}
}

// ---------------------------------------------------------------------------------------------
// Watching our own goroutines.

// parkedCounts counts the parked goroutines (neither running nor runnable) by the leaf-most
// package-main frame of their stacks.
func parkedCounts() map[string]int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	counts := map[string]int{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		header, frames, ok := strings.Cut(g, "\n")
		if !ok || !strings.HasPrefix(header, "goroutine ") {
			continue
		}
		open := strings.Index(header, "[")
		if open < 0 {
			continue
		}
		state := header[open+1:]
		if strings.HasPrefix(state, "running") || strings.HasPrefix(state, "runnable") {
			continue
		}
		for _, line := range strings.Split(frames, "\n") {
			if strings.HasPrefix(line, "main.") {
				if i := strings.LastIndex(line, "("); i > 0 {
					counts[line[:i]]++
				}
				break
			}
		}
	}
	return counts
}

// awaitParked waits (2 s at most) until n goroutines are parked with fn as their leaf-most
// package-main frame; it orders a shape's goroutines the way a test's handshake would.
func awaitParked(fn string, n int) {
	deadline := time.Now().Add(2 * time.Second)
	for parkedCounts()[fn] < n {
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "deadlocks: warning: %s: fewer than %d goroutines parked\n", fn, n)
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// checkSites warns on stderr where the parked goroutines differ from the manifest.
func checkSites(sites []site) {
	counts := parkedCounts()
	for _, s := range sites {
		if counts[s.Function] != s.Count {
			fmt.Fprintf(os.Stderr, "deadlocks: warning: %s: %d goroutines parked, manifest says %d\n",
				s.Function, counts[s.Function], s.Count)
		}
		delete(counts, s.Function)
	}
	for fn, n := range counts {
		fmt.Fprintf(os.Stderr, "deadlocks: warning: %s: %d goroutines parked, not in the manifest\n", fn, n)
	}
}

// ---------------------------------------------------------------------------------------------

func manifestOf(s *shape) manifest {
	sites := append(append([]site(nil), s.Sites...), benignSites...)
	if isHeldout(s) {
		sites = append(sites, heldoutBenignSites...)
		return manifest{Shape: s.Name, Set: "heldout", What: s.What, Sites: sites}
	}
	return manifest{Shape: s.Name, Set: "tuned", What: s.What, Sites: sites}
}

func isHeldout(s *shape) bool {
	for i := range heldoutShapes {
		if &heldoutShapes[i] == s {
			return true
		}
	}
	return false
}

func jsonLine(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "deadlocks: "+format+"\n", args...)
	os.Exit(2)
}

func writeProfile(w *bytes.Buffer, p *pprof.Profile, debug int) {
	if err := p.WriteTo(w, debug); err != nil {
		fail("writing the %s profile: %v", p.Name(), err)
	}
	if w.Len() > 0 && w.Bytes()[w.Len()-1] != '\n' {
		w.WriteByte('\n')
	}
}

func main() {
	list := flag.Bool("list", false, "print the manifest of every shape, one JSON line each")
	name := flag.String("shape", "", "run the shape `NAME` once, then dump the goroutines")
	dumpAfter := flag.Duration("dump-after", time.Second, "how long to wait after the shape returns before dumping")
	serve := flag.Bool("serve", false, "serve net/http/pprof on 127.0.0.1 instead of dumping")
	dumps := flag.Int("dumps", 1, "write the debug=2 dump this many times, -dump-every apart")
	dumpEvery := flag.Duration("dump-every", time.Second, "the time between two of -dumps")
	flag.Parse()
	if flag.NArg() > 0 {
		fail("unexpected arguments %q", flag.Args())
	}

	if *list {
		var out bytes.Buffer
		for i := range shapes {
			out.WriteString(jsonLine(manifestOf(&shapes[i])) + "\n")
		}
		for i := range heldoutShapes {
			out.WriteString(jsonLine(manifestOf(&heldoutShapes[i])) + "\n")
		}
		os.Stdout.Write(out.Bytes())
		return
	}
	var s *shape
	for i := range shapes {
		if shapes[i].Name == *name {
			s = &shapes[i]
		}
	}
	for i := range heldoutShapes {
		if heldoutShapes[i].Name == *name {
			s = &heldoutShapes[i]
		}
	}
	if s == nil {
		fail("unknown shape %q (see -list)", *name)
	}

	var ln net.Listener
	if *serve {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			fail("listen: %v", err)
		}
	}

	m := manifestOf(s)
	startBenign()
	if isHeldout(s) {
		startHeldoutBenign()
	}
	s.Run()
	time.Sleep(*dumpAfter)
	checkSites(m.Sites)

	var out bytes.Buffer
	out.WriteString("MANIFEST " + jsonLine(m) + "\n")
	if *serve {
		out.WriteString("LISTENING http://" + ln.Addr().String() + "\n")
		os.Stdout.Write(out.Bytes())
		if err := http.Serve(ln, nil); err != nil {
			fail("serve: %v", err)
		}
		return
	}
	for i := 0; i < *dumps; i++ {
		if i > 0 {
			time.Sleep(*dumpEvery)
		}
		out.WriteString("DUMP debug=2\n")
		writeProfile(&out, pprof.Lookup("goroutine"), 2)
	}
	if p := pprof.Lookup("goroutineleak"); p != nil {
		out.WriteString("DUMP goroutineleak debug=1\n")
		writeProfile(&out, p, 1)
	}
	out.WriteString("END\n")
	os.Stdout.Write(out.Bytes())
}
