// SPDX-License-Identifier: GPL-2.0
/* Goroutine creation and exit in an unmodified Go program (amd64, ABIInternal).
 *
 * Creation: a uprobe on the instruction after `CALL runtime.newproc1` in runtime.newproc.func1,
 * where RAX holds the new g. A uprobe on a return site is not a uretprobe: it does not rewrite
 * the return address, which Go's stack copying would trip over ("unknown caller pc"). The code
 * runs on g0 (R14), whose m.curg is the goroutine executing the go statement.
 * Exit: a uprobe on runtime.goexit1's entry, on the exiting goroutine (R14).
 */
/* vmlinux.h first, as in every libbpf-tools program: the others need its types. */
// clang-format off
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "goroutine_lifecycle.h"
// clang-format on

/* Filled by the loader from the binary's runtime layout before load. */
const volatile __u32 g_goid = 0;
const volatile __u32 g_gopc = 0;
const volatile __u32 g_startpc = 0;
const volatile __u32 g_m = 0;
const volatile __u32 m_curg = 0;
const volatile bool emit_exits = false;

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 8 * 1024 * 1024);
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, GOROUTINE_MAX_SITES);
  __type(key, __u64);
  __type(value, struct goroutine_site_counts);
} sites SEC(".maps");

/* Events the ring buffer had no room for: the loader reports them. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} dropped SEC(".maps");

/* Enforced here, not by the loader: by the time it polled the ring buffer and detached, a
 * goroutine-heavy target had made 15,753 goroutines in a window of 1,000. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct goroutine_window);
} window SEC(".maps");

static __always_inline __u64 read_u64(__u64 address) {
  __u64 value = 0;
  bpf_probe_read_user(&value, sizeof(value), (const void*)address);
  return value;
}

static __always_inline void count_site(__u64 gopc, bool born) {
  struct goroutine_site_counts* counts = bpf_map_lookup_elem(&sites, &gopc);
  if (!counts) {
    struct goroutine_site_counts zero = {};
    bpf_map_update_elem(&sites, &gopc, &zero, BPF_NOEXIST);
    counts = bpf_map_lookup_elem(&sites, &gopc);
    if (!counts) return;
  }
  if (born)
    __sync_fetch_and_add(&counts->born, 1);
  else
    __sync_fetch_and_add(&counts->died, 1);
}

/* True when the window's budget is spent; a creation takes its place in the budget first. The
 * count is read back after the add (a fetch-add's result needs -mcpu=v3): concurrent creations
 * may both see the other's, which can record fewer than the budget but never more. */
static __always_inline bool window_spent(bool creation) {
  __u32 zero = 0;
  struct goroutine_window* state = bpf_map_lookup_elem(&window, &zero);
  if (!state || state->budget == 0) return false;
  if (!creation) return state->created >= state->budget;
  __sync_fetch_and_add(&state->created, 1);
  return state->created > state->budget;
}

static __always_inline void count_drop(void) {
  __u32 zero = 0;
  __u64* count = bpf_map_lookup_elem(&dropped, &zero);
  if (count) *count += 1;
}

SEC("uprobe")
int BPF_KPROBE(goroutine_created) {
  __u64 newg = ctx->ax;
  __u64 g0 = ctx->r14;
  __u64 gopc = read_u64(newg + g_gopc);

  if (window_spent(true)) return 0;
  count_site(gopc, true);
  struct goroutine_event* event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
  if (!event) {
    count_drop();
    return 0;
  }
  event->kind = GOROUTINE_CREATED;
  event->timestamp_ns = bpf_ktime_get_ns();
  event->goid = read_u64(newg + g_goid);
  event->gopc = gopc;
  event->startpc = read_u64(newg + g_startpc);
  __u64 curg = read_u64(read_u64(g0 + g_m) + m_curg);
  event->creator_goid = curg ? read_u64(curg + g_goid) : 0;
  event->stack_bytes = bpf_get_stack(ctx, event->stack, sizeof(event->stack), BPF_F_USER_STACK);
  bpf_ringbuf_submit(event, 0);
  return 0;
}

SEC("uprobe")
int BPF_KPROBE(goroutine_exited) {
  __u64 g = ctx->r14;
  __u64 gopc = read_u64(g + g_gopc);

  if (window_spent(false)) return 0;
  count_site(gopc, false);
  if (!emit_exits) return 0;
  /* Exits carry no stack (stack_bytes 0), but the record is reserved whole: its size must be a
   * constant, and the loader reads every event as a full struct goroutine_event. */
  struct goroutine_event* event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
  if (!event) {
    count_drop();
    return 0;
  }
  event->kind = GOROUTINE_EXITED;
  event->timestamp_ns = bpf_ktime_get_ns();
  event->goid = read_u64(g + g_goid);
  event->creator_goid = 0;
  event->gopc = gopc;
  event->startpc = read_u64(g + g_startpc);
  event->stack_bytes = 0;
  bpf_ringbuf_submit(event, 0);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
