// The analysis's words, typed: what a cluster is judged, what it is anchored to, what kind of
// dead-but-unfreed finding it is. Reports and rules files spell them with to_string().
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace leakscan {

// Ordered from the most to the least urgent: reports list clusters in this order.
enum class Verdict : uint8_t { kLeak, kSuspect, kExpected };

// What a cluster belongs to. The first five also pick its wait threshold (rules' [thresholds]).
enum class AnchorKind : uint8_t {
  kDefault,      // nothing better known
  kLabel,        // a pprof label: http.route=/api/orders
  kHttpHandler,  // the program's frame under net/http's conn.serve
  kGrpcMethod,   // a unary RPC's handler under grpc-go's server: /orders.v1.OrderService/Refund
  kGrpcStream,   // a streaming RPC's handler: open for as long as its client wants
  kJob,          // a scheduled job (cron)
  kCreatedBy,    // the go statement that started it
  kOwner,        // a CODEOWNERS owner of that code
};

enum class DeadButUnfreedKind : uint8_t {
  kFinishing,          // running deferred calls after Goexit: not a leak
  kExitedNotReleased,  // ended, memory still held (fibers not joined, dead g's kept)
};

std::string_view to_string(Verdict verdict);
std::string_view to_string(AnchorKind kind);
std::string_view to_string(DeadButUnfreedKind kind);
std::optional<AnchorKind> parse_anchor_kind(std::string_view text);

// What an operation waits on, in a reason's words: "sync.Mutex" for sync.Mutex.Lock, "channel"
// for chan send, "future" for future get; "object" when the operation does not say.
std::string_view waited_object_kind(std::string_view operation);

}  // namespace leakscan
