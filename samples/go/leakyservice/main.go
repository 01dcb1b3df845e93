// Command leakyservice is a small order-service HTTP API with seeded
// goroutine leaks of every classic kind, plus benign goroutines that look
// like leaks, so the leak analyzer can be checked against ground truth.
//
// It first prints one line per population, then "LISTENING 127.0.0.1:PORT":
//
//	SEEDED|BENIGN <kind> <top function> <creator> <route or -> <state>
//
// <top function> is the topmost package-main frame (for net/http's own
// goroutines, their entry function), <creator> the function printed after
// "created by", <state> the debug=2 bracket state as Go 1.19 prints it,
// spaces replaced by "_". Each SEEDED route leaks one goroutine per request.
// BENIGN counts do not grow with load: 8 workers, 1 janitor, 1 SIGHUP loop,
// one long-poll per /api/poll in flight, one keepalive per idle connection.
// /api/orders, /api/audit and /api/stream run under pprof.Do with label
// http.route=<route>, which their leaked goroutines inherit (shown in
// debug=1 and debug=0 profiles; debug=2 never prints labels).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	httppprof "net/http/pprof"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The manifest: the only place the expected populations are described.
var manifest = [][6]string{
	{"SEEDED", "timeout-race", "main.(*OrderService).fetchOrder.func1", "main.(*OrderService).fetchOrder", "/api/orders", "chan send"},
	{"SEEDED", "unclosed-channel", "main.(*OrderService).auditConsumer", "main.(*OrderService).handleAudit", "/api/audit", "chan receive"},
	{"SEEDED", "waitgroup-mismatch", "main.(*OrderService).handleBatch.func2", "main.(*OrderService).handleBatch", "/api/batch", "semacquire"},
	{"SEEDED", "mutex-never-unlocked", "main.(*OrderService).syncInventory", "main.(*OrderService).handleLock", "/api/lock", "semacquire"},
	{"SEEDED", "context-never-cancelled", "main.(*OrderService).streamUpdates", "main.(*OrderService).handleStream", "/api/stream", "select"},
	{"SEEDED", "ticker-never-stopped", "main.(*OrderService).handleTicker.func1", "main.(*OrderService).handleTicker", "/api/ticker", "chan receive"},
	{"SEEDED", "cond-never-signalled", "main.(*OrderService).awaitShipment", "main.(*OrderService).handleNotify", "/api/notify", "sync.Cond.Wait"},
	{"SEEDED", "nil-channel", "main.(*OrderService).watchSubscription", "main.(*OrderService).handleNilChan", "/api/nilchan", "chan receive (nil chan)"},
	{"BENIGN", "worker-pool", "main.(*OrderService).worker", "main.newOrderService", "-", "chan receive"},
	{"BENIGN", "periodic-sleeper", "main.(*OrderService).janitor", "main.newOrderService", "-", "sleep"},
	{"BENIGN", "signal-loop", "main.reloadOnHUP", "main.main", "-", "chan receive"},
	{"BENIGN", "long-poll", "main.(*OrderService).handlePoll", "net/http.(*Server).Serve", "/api/poll", "select"},
	{"BENIGN", "keepalive", "net/http.(*conn).serve", "net/http.(*Server).Serve", "-", "IO wait"},
}

// OrderService is the (fake) order backend behind the API.
type OrderService struct {
	work, handlerTimeout, poll time.Duration

	jobs        chan string            // worker pool queue; idle in this demo
	events      chan string            // long-poll notifications; nobody publishes
	subscribers map[string]chan string // order ID -> updates; nobody subscribes

	processed, audited, refreshed, notified atomic.Int64
}

func newOrderService(work, handlerTimeout, poll time.Duration) *OrderService {
	s := &OrderService{work: work, handlerTimeout: handlerTimeout, poll: poll,
		jobs: make(chan string), events: make(chan string)}
	for i := 0; i < 8; i++ { // fixed pool size
		go s.worker()
	}
	go s.janitor()
	return s
}

// worker is one of a fixed pool: parked on the queue, but not a leak.
func (s *OrderService) worker() {
	for range s.jobs {
		s.processed.Add(1)
	}
}

// janitor sleeps between hourly purges of expired carts.
func (s *OrderService) janitor() {
	for {
		time.Sleep(time.Hour)
	}
}

func reloadOnHUP(hup <-chan os.Signal) {
	for range hup {
		log.Print("SIGHUP: reloading configuration")
	}
}

// instrumented runs h under pprof labels, as tracing middleware does, so
// goroutines the handler starts inherit http.route.
func instrumented(route string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pprof.Do(r.Context(), pprof.Labels("http.route", route), func(ctx context.Context) {
			h(w, r.WithContext(ctx))
		})
	}
}

func (s *OrderService) handleOrders(w http.ResponseWriter, r *http.Request) {
	status, err := s.fetchOrder(r.Context(), r.URL.Query().Get("id"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusGatewayTimeout)
		return
	}
	fmt.Fprintln(w, status)
}

// fetchOrder gives up after handlerTimeout. The result channel is
// unbuffered, so a fetch finishing later blocks on its send forever
// (make(chan string, 1) would be the fix).
func (s *OrderService) fetchOrder(ctx context.Context, id string) (string, error) {
	result := make(chan string)
	go func() {
		time.Sleep(s.work) // stands in for a slow backend call
		result <- "order " + id + ": shipped"
	}()
	select {
	case status := <-result:
		return status, nil
	case <-ctx.Done():
		return "", ctx.Err()
	case <-time.After(s.handlerTimeout):
		return "", errors.New("order backend timed out")
	}
}

// handleAudit gives each request its own consumer on a fresh channel that
// nobody closes, so the consumer's range never ends.
func (s *OrderService) handleAudit(w http.ResponseWriter, r *http.Request) {
	events := make(chan string)
	go s.auditConsumer(events)
	events <- r.Method + " " + r.URL.Path
	fmt.Fprintln(w, "audited")
}

func (s *OrderService) auditConsumer(events <-chan string) {
	for range events {
		s.audited.Add(1)
	}
}

// handleBatch processes the order plus an optional gift item in the
// background. Without ?gift= the empty item is skipped without calling Done,
// so the WaitGroup never reaches zero and the reporter waits forever.
func (s *OrderService) handleBatch(w http.ResponseWriter, r *http.Request) {
	items := []string{"sku-1", r.URL.Query().Get("gift")}
	var wg sync.WaitGroup
	wg.Add(len(items))
	for _, it := range items {
		if it == "" {
			continue // bug: wg.Done() missing on this path
		}
		go func() {
			defer wg.Done()
			s.processed.Add(1)
		}()
	}
	go func() {
		wg.Wait()
		log.Printf("batch of %d done", len(items))
	}()
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintln(w, "batch accepted")
}

type inventory struct {
	mu    sync.Mutex
	stock map[string]int
}

// reserve returns early with mu still held when the item is out of stock.
func (inv *inventory) reserve(sku string) error {
	inv.mu.Lock()
	if inv.stock[sku] == 0 {
		return errors.New("out of stock") // bug: missing inv.mu.Unlock()
	}
	inv.stock[sku]--
	inv.mu.Unlock()
	return nil
}

func (s *OrderService) handleLock(w http.ResponseWriter, r *http.Request) {
	inv := &inventory{stock: map[string]int{}}
	if err := inv.reserve("sku-1"); err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
	} else {
		fmt.Fprintln(w, "reserved")
	}
	go s.syncInventory(inv) // blocks on the lock reserve leaked
}

func (s *OrderService) syncInventory(inv *inventory) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	s.processed.Add(int64(len(inv.stock)))
}

// handleStream detaches the stream from the request so it outlives the
// handler, then drops the cancel func the disconnect hook should have called.
func (s *OrderService) handleStream(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(context.Background())
	_ = cancel // bug: never called
	go s.streamUpdates(ctx, make(chan string))
	fmt.Fprintln(w, "stream opened")
}

func (s *OrderService) streamUpdates(ctx context.Context, updates <-chan string) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-updates:
		}
	}
}

// handleTicker starts an hourly cache refresher; nothing stops the ticker or
// ends the loop, so each call leaves a goroutine parked on t.C.
func (s *OrderService) handleTicker(w http.ResponseWriter, r *http.Request) {
	t := time.NewTicker(time.Hour)
	go func() {
		for range t.C {
			s.refreshed.Add(1)
		}
	}()
	fmt.Fprintln(w, "refresher started")
}

type shipment struct {
	sync.Cond
	shipped bool
}

// handleNotify waits for a shipment that nothing ever marks shipped or
// signals.
func (s *OrderService) handleNotify(w http.ResponseWriter, r *http.Request) {
	sh := &shipment{Cond: sync.Cond{L: &sync.Mutex{}}}
	go s.awaitShipment(sh)
	fmt.Fprintln(w, "will notify")
}

func (s *OrderService) awaitShipment(sh *shipment) {
	sh.L.Lock()
	for !sh.shipped {
		sh.Wait()
	}
	sh.L.Unlock()
	s.notified.Add(1)
}

// handleNilChan watches an order's update channel. For an unknown order the
// map lookup yields a nil channel, and receiving from it blocks forever.
func (s *OrderService) handleNilChan(w http.ResponseWriter, r *http.Request) {
	go s.watchSubscription(s.subscribers[r.URL.Query().Get("id")])
	fmt.Fprintln(w, "subscribed")
}

func (s *OrderService) watchSubscription(updates <-chan string) {
	for range updates {
		s.notified.Add(1)
	}
}

// handlePoll is a long poll: it blocks for up to s.poll, then returns.
func (s *OrderService) handlePoll(w http.ResponseWriter, r *http.Request) {
	select {
	case ev := <-s.events:
		fmt.Fprintln(w, ev)
	case <-r.Context().Done():
	case <-time.After(s.poll):
		w.WriteHeader(http.StatusNoContent)
	}
}

func main() {
	work := flag.Duration("work", 20*time.Millisecond, "how long an /api/orders backend fetch takes")
	timeout := flag.Duration("handler-timeout", 5*time.Millisecond, "how long /api/orders waits for the fetch")
	poll := flag.Duration("poll", 2*time.Second, "how long /api/poll blocks")
	addr := flag.String("addr", "127.0.0.1:0", "where to listen (a restarted service keeps its port)")
	flag.Parse()

	s := newOrderService(*work, *timeout, *poll)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go reloadOnHUP(hup)

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/api/orders", instrumented("/api/orders", s.handleOrders))
	mux.HandleFunc("/api/audit", instrumented("/api/audit", s.handleAudit))
	mux.HandleFunc("/api/batch", s.handleBatch)
	mux.HandleFunc("/api/lock", s.handleLock)
	mux.HandleFunc("/api/stream", instrumented("/api/stream", s.handleStream))
	mux.HandleFunc("/api/ticker", s.handleTicker)
	mux.HandleFunc("/api/notify", s.handleNotify)
	mux.HandleFunc("/api/nilchan", s.handleNilChan)
	mux.HandleFunc("/api/poll", s.handlePoll)
	mux.HandleFunc("/debug/pprof/", httppprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", httppprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", httppprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", httppprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", httppprof.Trace)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	out := bufio.NewWriter(os.Stdout)
	for _, m := range manifest {
		m[5] = strings.ReplaceAll(m[5], " ", "_")
		fmt.Fprintln(out, strings.Join(m[:], " "))
	}
	fmt.Fprintf(out, "LISTENING %s\n", ln.Addr())
	out.Flush()
	// No server timeouts: idle keep-alive connections stay open as long as
	// their clients keep them.
	log.Fatal((&http.Server{Handler: mux}).Serve(ln))
}
