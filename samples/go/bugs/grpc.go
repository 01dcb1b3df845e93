// Bugs reported in grpc-go (and in users of its client streams).
package main

import (
	"context"
	"errors"
	"sync"
	"time"
)

// grpc-go#1353 https://github.com/grpc/grpc-go/pull/1353
// Mutex held across a blocking send: the round-robin balancer sends an address update on an
// unbuffered channel while holding its mutex; the balancer watcher, still handling the previous
// update, tears a connection down, which calls back into the balancer and needs that mutex.

type grpcRoundRobin struct {
	mu     sync.Mutex
	addrCh chan []string
}

func (rr *grpcRoundRobin) watchAddrUpdates(addrs []string) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	rr.addrCh <- addrs // blocks: the watcher is in down(), waiting for rr.mu
}

func (rr *grpcRoundRobin) down() {
	rr.mu.Lock() // blocks: watchAddrUpdates holds it
	defer rr.mu.Unlock()
}

func (rr *grpcRoundRobin) resolverUpdates() {
	rr.watchAddrUpdates([]string{"10.0.0.1:443", "10.0.0.2:443"})
	rr.watchAddrUpdates([]string{"10.0.0.2:443"})
}

type grpcAddrConn struct{ down func() }

func (ac *grpcAddrConn) tearDown() { ac.down() }

func (rr *grpcRoundRobin) lbWatcher(conns []*grpcAddrConn) {
	for range rr.addrCh {
		time.Sleep(50 * time.Millisecond) // diffing the address lists
		for _, ac := range conns {
			ac.tearDown()
		}
	}
}

func grpc1353BalancerUpdate() {
	rr := &grpcRoundRobin{addrCh: make(chan []string)}
	go rr.resolverUpdates()
	go rr.lbWatcher([]*grpcAddrConn{{down: rr.down}})
}

// grpc-go#2625 https://github.com/grpc/grpc-go/pull/2625
// Channel send with no receiver after a timeout: channelz asks the loopy writer for the
// outgoing flow-control window and gives up after a timeout; the loopy writer answers on the
// unbuffered response channel later and blocks forever (and with it the transport's writer).

type grpcOutFlowQuery struct{ resp chan uint32 }

type grpcLoopyWriter struct{ ctrl chan *grpcOutFlowQuery }

func (l *grpcLoopyWriter) outFlowControlSizeRequest(q *grpcOutFlowQuery) {
	q.resp <- 65535 // blocks: the querier timed out
}

func (l *grpcLoopyWriter) run() {
	for q := range l.ctrl {
		time.Sleep(60 * time.Millisecond) // writing queued frames first
		l.outFlowControlSizeRequest(q)
	}
}

func grpc2625ChannelzWindowQuery() {
	l := &grpcLoopyWriter{ctrl: make(chan *grpcOutFlowQuery)}
	go l.run()
	q := &grpcOutFlowQuery{resp: make(chan uint32)}
	l.ctrl <- q
	select {
	case <-q.resp:
	case <-time.After(10 * time.Millisecond):
	}
}

// grpc-go#649 https://github.com/grpc/grpc-go/pull/649
// Receive on a channel that is never closed: the transport closed errorChan only when there
// was pending I/O, so the goroutine watching a transport without pending I/O waits forever.

type grpcStreamTransport struct {
	errorChan chan struct{}
	pendingIO int
}

func (t *grpcStreamTransport) notifyError() {
	if t.pendingIO > 0 { // the bug: no pending I/O, no close
		close(t.errorChan)
	}
}

func (t *grpcStreamTransport) watchTransportError() {
	<-t.errorChan // blocks forever
}

func grpc649IdleTransportError() {
	t := &grpcStreamTransport{errorChan: make(chan struct{})}
	go t.watchTransportError()
	time.Sleep(10 * time.Millisecond)
	t.notifyError()
}

// grpc-go#659 https://github.com/grpc/grpc-go/issues/659
// Context never cancelled: each client stream starts a goroutine that waits for the stream's
// context; after the connection closes, Recv fails but nothing cancels the context, so the
// goroutine stays until the (long-lived) parent context ends.

var grpcClientRoot, grpcClientRootCancel = context.WithCancel(context.Background())

type grpcClientStream struct {
	ctx      context.Context
	cancel   context.CancelFunc // nobody calls it after a transport error
	finished chan struct{}
	closed   chan struct{}
}

func (cs *grpcClientStream) awaitStreamDone() {
	select { // blocks: neither happens after the connection closed
	case <-cs.ctx.Done():
	case <-cs.finished:
	}
}

func (cs *grpcClientStream) Recv() error {
	<-cs.closed
	return errors.New("rpc error: code = Internal desc = transport is closing")
}

func grpc659StreamAfterConnClose() {
	ctx, cancel := context.WithCancel(grpcClientRoot)
	cs := &grpcClientStream{ctx: ctx, cancel: cancel, finished: make(chan struct{}),
		closed: make(chan struct{})}
	go cs.awaitStreamDone()
	close(cs.closed) // the underlying connection closes
	_ = cs.Recv()    // the caller sees the error and drops the stream
}

func init() {
	_ = grpcClientRootCancel
	register(&bug{Name: "grpc1353", Ref: "grpc-go#1353", URL: "https://github.com/grpc/grpc-go/pull/1353",
		Shape:   "mutex held across a blocking send (AB-BA of mutex and channel)",
		Sites:   []site{{"main.(*grpcRoundRobin).watchAddrUpdates", 1}, {"main.(*grpcRoundRobin).down", 1}},
		Trigger: grpc1353BalancerUpdate})
	register(&bug{Name: "grpc2625", Ref: "grpc-go#2625", URL: "https://github.com/grpc/grpc-go/pull/2625",
		Shape:   "chan send with no receiver after a timeout",
		Sites:   []site{{"main.(*grpcLoopyWriter).outFlowControlSizeRequest", 1}},
		Trigger: grpc2625ChannelzWindowQuery})
	register(&bug{Name: "grpc649", Ref: "grpc-go#649", URL: "https://github.com/grpc/grpc-go/pull/649",
		Shape:   "receive on a never-closed channel",
		Sites:   []site{{"main.(*grpcStreamTransport).watchTransportError", 1}},
		Trigger: grpc649IdleTransportError})
	register(&bug{Name: "grpc659", Ref: "grpc-go#659", URL: "https://github.com/grpc/grpc-go/issues/659",
		Shape:   "context never cancelled (select on ctx.Done and a never-closed channel)",
		Sites:   []site{{"main.(*grpcClientStream).awaitStreamDone", 1}},
		Trigger: grpc659StreamAfterConnClose})
}
