/* Shared by goroutine_lifecycle.bpf.c and its loader: what one goroutine event carries. */
#ifndef LEAKSCAN_GOROUTINE_LIFECYCLE_H
#define LEAKSCAN_GOROUTINE_LIFECYCLE_H

#ifndef __VMLINUX_H__ /* userspace; BPF programs get the types from vmlinux.h */
#include <linux/types.h>
#endif

#define GOROUTINE_MAX_STACK 32
#define GOROUTINE_MAX_SITES 16384

enum goroutine_event_kind {
  GOROUTINE_CREATED = 1,
  GOROUTINE_EXITED = 2,
};

struct goroutine_event {
  __u64 timestamp_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
  __u64 goid;
  __u64 creator_goid; /* created only */
  __u64 gopc;         /* the go statement's pc */
  __u64 startpc;      /* the goroutine's function */
  __u32 kind;
  __s32 stack_bytes;                /* created only: bytes of `stack` filled, < 0 on error */
  __u64 stack[GOROUTINE_MAX_STACK]; /* the creator's user stack, leaf first */
};

/* Births and deaths per creation site (gopc) while the probes are attached. */
struct goroutine_site_counts {
  __u64 born;
  __u64 died;
};

/* A duty window's creation budget: past `budget` creations (0: none) the probes record no
 * birth and no death until the loader opens the next window (zeroing `created`). */
struct goroutine_window {
  __u64 budget;
  __u64 created;
};

#endif /* LEAKSCAN_GOROUTINE_LIFECYCLE_H */
