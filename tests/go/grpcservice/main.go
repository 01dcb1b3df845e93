// A gRPC service with the incident operators meet most: one goroutine takes the ledger's lock
// and never gives it back, and every Refund handler after it queues on that lock for as long as
// the process lives, while its clients give up after a deadline. Status calls (served
// throughout) and Watch subscriptions (server streams that stay open by design) are healthy.
//
// It serves gRPC and net/http/pprof on 127.0.0.1, prints "GRPC host:port", then
// "LISTENING host:port" (pprof), and drives its own traffic: -stuck Refund calls, -watchers
// Watch streams, and a Status call every 100 ms.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	ordersv1 "leakscan.dev/tests/grpcservice/gen/orders/v1"
)

type orderServer struct {
	ordersv1.UnimplementedOrderServiceServer
	ledger    sync.Mutex
	refunds   map[string]int
	approvals chan struct{}
	updates   chan string
	held      chan struct{} // closed once reconcile holds the ledger
	entered   atomic.Int64  // Refund calls that reached the handler
}

// reconcile holds the ledger while it waits for an approval that never comes: the incident.
func (s *orderServer) reconcile() {
	s.ledger.Lock()
	defer s.ledger.Unlock()
	close(s.held)
	<-s.approvals
}

func (s *orderServer) Refund(ctx context.Context, in *wrapperspb.StringValue) (*emptypb.Empty, error) {
	s.entered.Add(1)
	s.ledger.Lock() // queues behind reconcile, past every client's deadline
	defer s.ledger.Unlock()
	s.refunds[in.GetValue()]++
	return &emptypb.Empty{}, nil
}

func (s *orderServer) Status(ctx context.Context, _ *emptypb.Empty) (*wrapperspb.StringValue, error) {
	return wrapperspb.String("ok"), nil
}

// Watch streams order updates until the client goes away: open for as long as it is wanted.
func (s *orderServer) Watch(_ *emptypb.Empty, stream grpc.ServerStreamingServer[wrapperspb.StringValue]) error {
	if err := stream.Send(wrapperspb.String("subscribed")); err != nil {
		return err
	}
	for {
		select {
		case <-stream.Context().Done():
			return stream.Context().Err()
		case update := <-s.updates:
			if err := stream.Send(wrapperspb.String(update)); err != nil {
				return err
			}
		}
	}
}

var (
	served  atomic.Int64
	garbage []byte
)

func countCalls(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	served.Add(1)
	return handler(ctx, req)
}

func recoverPanics(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s panicked: %v", info.FullMethod, r)
		}
	}()
	return handler(ctx, req)
}

func main() {
	stuck := flag.Int("stuck", 20, "Refund calls that queue on the held ledger")
	watchers := flag.Int("watchers", 3, "Watch streams kept open")
	flag.Parse()

	grpcListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	pprofListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	server := grpc.NewServer(grpc.ChainUnaryInterceptor(countCalls, recoverPanics))
	orders := &orderServer{refunds: map[string]int{}, approvals: make(chan struct{}),
		held:    make(chan struct{}),
		updates: make(chan string)}
	ordersv1.RegisterOrderServiceServer(server, orders)
	go server.Serve(grpcListener)
	go http.Serve(pprofListener, nil)

	conn, err := grpc.NewClient(grpcListener.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	client := ordersv1.NewOrderServiceClient(conn)
	for i := 0; i < *watchers; i++ {
		stream, err := client.Watch(context.Background(), &emptypb.Empty{})
		if err != nil {
			log.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			log.Fatal(err)
		}
		go func() {
			for {
				if _, err := stream.Recv(); err != nil {
					return
				}
			}
		}()
	}
	if _, err := client.Status(context.Background(), &emptypb.Empty{}); err != nil {
		log.Fatal(err)
	}

	go orders.reconcile()
	<-orders.held
	// The clients give up once every call has reached its handler (as clients with deadlines
	// do, only deterministically): the handlers queue on.
	ctx, giveUp := context.WithCancel(context.Background())
	var calls sync.WaitGroup
	for i := 0; i < *stuck; i++ {
		calls.Add(1)
		go func(i int) {
			defer calls.Done()
			client.Refund(ctx, wrapperspb.String(fmt.Sprintf("order-%d", i)))
		}(i)
	}
	for deadline := time.Now().Add(time.Minute); orders.entered.Load() < int64(*stuck); {
		if time.Now().After(deadline) {
			log.Fatalf("only %d of %d Refund calls reached their handler", orders.entered.Load(), *stuck)
		}
		time.Sleep(10 * time.Millisecond)
	}
	giveUp()
	calls.Wait()
	// Traffic that allocates as a service under load does: Go measures a goroutine's wait from
	// the first garbage collection after it blocked, and prints none without one.
	go func() {
		for range time.Tick(100 * time.Millisecond) {
			client.Status(context.Background(), &emptypb.Empty{})
			garbage = make([]byte, 1<<20)
		}
	}()

	fmt.Printf("GRPC %s\n", grpcListener.Addr())
	fmt.Printf("LISTENING %s\n", pprofListener.Addr())
	os.Stdout.Sync()
	select {}
}
