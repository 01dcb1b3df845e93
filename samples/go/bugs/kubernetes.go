// Bugs reported in kubernetes (kubelet, apiserver, controllers, vendored http2).
package main

import (
	"errors"
	"net/http"
	"sync"
	"time"
)

// kubernetes#10182 https://github.com/kubernetes/kubernetes/pull/10182
// Blocking send on a full channel whose consumer is gone, with a mutex held: the status
// manager's sync loop exits when an update fails for an already-deleted pod; the next
// SetPodStatus calls fill podStatusChannel and block on it holding podStatusesLock, and every
// later pod sync blocks on the lock.

type k8sPodStatus struct {
	pod     string
	deleted bool
}

type k8sStatusManager struct {
	podStatusesLock  sync.Mutex
	podStatuses      map[string]k8sPodStatus
	podStatusChannel chan k8sPodStatus
}

func (m *k8sStatusManager) SetPodStatus(s k8sPodStatus) {
	m.podStatusesLock.Lock() // later syncs block here
	defer m.podStatusesLock.Unlock()
	m.podStatuses[s.pod] = s
	m.podStatusChannel <- s // blocks: nobody drains the channel any more
}

func (m *k8sStatusManager) syncBatch() error {
	s := <-m.podStatusChannel
	if s.deleted {
		return errors.New("pod " + s.pod + " not found")
	}
	return nil
}

func (m *k8sStatusManager) syncLoop() {
	for m.syncBatch() == nil { // the bug: one failed update ends the loop
	}
}

func (m *k8sStatusManager) syncPod(pod string) {
	m.SetPodStatus(k8sPodStatus{pod: pod})
}

func kubernetes10182DeletePods() {
	m := &k8sStatusManager{podStatuses: map[string]k8sPodStatus{},
		podStatusChannel: make(chan k8sPodStatus, 1)}
	go m.syncLoop()
	m.SetPodStatus(k8sPodStatus{pod: "web-0", deleted: true})
	time.Sleep(10 * time.Millisecond)
	for _, pod := range []string{"web-1", "web-2", "web-3"} { // one fills the buffer
		go m.syncPod(pod)
	}
}

// kubernetes#83333 https://github.com/kubernetes/kubernetes/pull/83333
// Channel send with no receiver after a timeout: the apiserver's timeout filter runs the
// handler in a goroutine and stops waiting when the request times out; the handler goroutine
// then blocks forever sending its result.

type k8sTimeoutHandler struct {
	handler http.Handler
	timeout time.Duration
}

func (h *k8sTimeoutHandler) runHandler(resultCh chan<- interface{}) {
	time.Sleep(60 * time.Millisecond) // the wrapped handler is slow
	resultCh <- nil                   // blocks: ServeHTTP returned on timeout
}

func (h *k8sTimeoutHandler) ServeHTTP() int {
	resultCh := make(chan interface{})
	go h.runHandler(resultCh)
	select {
	case <-resultCh:
		return http.StatusOK
	case <-time.After(h.timeout):
		return http.StatusGatewayTimeout
	}
}

func kubernetes83333TimedOutRequest() {
	(&k8sTimeoutHandler{timeout: 10 * time.Millisecond}).ServeHTTP()
}

// kubernetes#58107 https://github.com/kubernetes/kubernetes/pull/58107
// RWMutex read-write-read deadlock with a condition variable: a quota worker holds
// workerLock.RLock while waiting on its empty queue's sync.Cond; the resync goroutine blocks in
// workerLock.Lock; a worker for the other queue then blocks in RLock behind the pending writer.

type k8sQuotaWorkQueue struct {
	mu    sync.Mutex
	cond  *sync.Cond
	items []string
}

func newK8sQuotaWorkQueue() *k8sQuotaWorkQueue {
	q := &k8sQuotaWorkQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *k8sQuotaWorkQueue) get() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 {
		q.cond.Wait() // blocks: holding workerLock.RLock, nothing is ever added
	}
	item := q.items[0]
	q.items = q.items[1:]
	return item
}

type k8sQuotaController struct {
	workerLock        sync.RWMutex
	missingUsageQueue *k8sQuotaWorkQueue
	primaryQueue      *k8sQuotaWorkQueue
}

func (rq *k8sQuotaController) worker(q *k8sQuotaWorkQueue) {
	for {
		rq.workerLock.RLock() // the second worker blocks here, behind resyncMonitors
		item := q.get()
		rq.workerLock.RUnlock()
		_ = item
	}
}

func (rq *k8sQuotaController) resyncMonitors() {
	rq.workerLock.Lock() // blocks: a reader waits in get forever
	defer rq.workerLock.Unlock()
}

func kubernetes58107QuotaResync() {
	rq := &k8sQuotaController{missingUsageQueue: newK8sQuotaWorkQueue(), primaryQueue: newK8sQuotaWorkQueue()}
	go rq.worker(rq.missingUsageQueue)
	time.Sleep(10 * time.Millisecond)
	go rq.resyncMonitors()
	time.Sleep(10 * time.Millisecond)
	go rq.worker(rq.primaryQueue)
}

// kubernetes#70819 https://github.com/kubernetes/kubernetes/issues/70819
// AB-BA lock order in the vendored golang.org/x/net/http2 client: one goroutine holds the
// connection pool's mutex and waits for a connection's mutex, another holds the connection's
// and waits for the pool's.

type h2ClientConn struct {
	mu   sync.Mutex
	pool *h2ClientConnPool
}

type h2ClientConnPool struct {
	mu    sync.Mutex
	conns []*h2ClientConn
}

func (cc *h2ClientConn) canTakeNewRequest() bool {
	cc.mu.Lock() // blocks: closeConn holds it
	defer cc.mu.Unlock()
	return true
}

func (p *h2ClientConnPool) getClientConn() *h2ClientConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	time.Sleep(50 * time.Millisecond)
	for _, cc := range p.conns {
		if cc.canTakeNewRequest() {
			return cc
		}
	}
	return nil
}

func (p *h2ClientConnPool) markDead(cc *h2ClientConn) {
	p.mu.Lock() // blocks: getClientConn holds it
	defer p.mu.Unlock()
}

func (cc *h2ClientConn) closeConn() {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	time.Sleep(50 * time.Millisecond)
	cc.pool.markDead(cc)
}

func kubernetes70819Http2PoolDeadlock() {
	p := &h2ClientConnPool{}
	cc := &h2ClientConn{pool: p}
	p.conns = append(p.conns, cc)
	go p.getClientConn()
	go cc.closeConn()
}

// kubernetes#5540 https://github.com/kubernetes/kubernetes/pull/5540
// Double lock of a non-reentrant mutex: GetPodStatus takes podLock, which its caller
// syncStatus already holds.

type k8sKubelet struct {
	podLock sync.Mutex
	pods    map[string]string
}

func (kl *k8sKubelet) GetPodStatus(pod string) string {
	kl.podLock.Lock() // blocks: syncStatus holds it
	defer kl.podLock.Unlock()
	return kl.pods[pod]
}

func (kl *k8sKubelet) syncStatus() {
	kl.podLock.Lock()
	defer kl.podLock.Unlock()
	for pod := range kl.pods {
		_ = kl.GetPodStatus(pod)
	}
}

func kubernetes5540SyncStatus() {
	kl := &k8sKubelet{pods: map[string]string{"web-0": "Running"}}
	kl.syncStatus()
}

func init() {
	register(&bug{Name: "kubernetes10182", Ref: "kubernetes#10182", URL: "https://github.com/kubernetes/kubernetes/pull/10182",
		Shape: "send on a full channel whose consumer exited, mutex held across it",
		Sites: []site{{"main.(*k8sStatusManager).SetPodStatus", 2}}, Trigger: kubernetes10182DeletePods})
	register(&bug{Name: "kubernetes83333", Ref: "kubernetes#83333", URL: "https://github.com/kubernetes/kubernetes/pull/83333",
		Shape: "chan send with no receiver after a timeout",
		Sites: []site{{"main.(*k8sTimeoutHandler).runHandler", 1}}, Trigger: kubernetes83333TimedOutRequest})
	register(&bug{Name: "kubernetes58107", Ref: "kubernetes#58107", URL: "https://github.com/kubernetes/kubernetes/pull/58107",
		Shape: "RWMutex read-write-read deadlock with a sync.Cond wait",
		Sites: []site{{"main.(*k8sQuotaWorkQueue).get", 1}, {"main.(*k8sQuotaController).resyncMonitors", 1},
			{"main.(*k8sQuotaController).worker", 1}}, Trigger: kubernetes58107QuotaResync})
	register(&bug{Name: "kubernetes70819", Ref: "kubernetes#70819", URL: "https://github.com/kubernetes/kubernetes/issues/70819",
		Shape:   "AB-BA lock order",
		Sites:   []site{{"main.(*h2ClientConn).canTakeNewRequest", 1}, {"main.(*h2ClientConnPool).markDead", 1}},
		Trigger: kubernetes70819Http2PoolDeadlock})
	register(&bug{Name: "kubernetes5540", Ref: "kubernetes#5540", URL: "https://github.com/kubernetes/kubernetes/pull/5540",
		Shape: "double lock of a non-reentrant mutex",
		Sites: []site{{"main.(*k8sKubelet).GetPodStatus", 1}}, Trigger: kubernetes5540SyncStatus})
}
