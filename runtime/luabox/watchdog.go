package luabox

import (
	"context"
	"fmt"
	"runtime/metrics"
	"sync"
	"time"
)

// memoryCheckInterval is how often a running script's memory is sampled. Runs shorter than this
// never sample at all.
const memoryCheckInterval = 10 * time.Millisecond

// liveHeapMetric is the heap the last GC found live: garbage a script drops does not count, and a
// script that keeps allocating triggers the GC cycles that update it.
const liveHeapMetric = "/gc/heap/live:bytes"

// watchMemory stops the run (cancel with an ErrTooLarge cause) once the process's live heap has
// grown by more than limit bytes since the run started. It is a process-wide backstop for memory no
// single check can see (tables, many medium strings); see the package documentation.
func watchMemory(ctx context.Context, cancel context.CancelCauseFunc, limit int) (stop func()) {
	base, ok := liveHeap()
	if !ok {
		return func() {}
	}
	w := &memWatch{ctx: ctx, cancel: cancel, base: base, limit: uint64(limit)}
	w.mu.Lock()
	w.timer = time.AfterFunc(memoryCheckInterval, w.check)
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		w.stopped = true
		w.timer.Stop()
		w.mu.Unlock()
	}
}

type memWatch struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	base   uint64
	limit  uint64

	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

func (w *memWatch) check() {
	if w.ctx.Err() != nil {
		return
	}
	now, ok := liveHeap()
	if ok && now < w.base {
		// The baseline came from a GC before the run; a later GC found less live memory, so the
		// baseline included garbage that has since gone.
		w.base = now
	}
	if ok && now-w.base > w.limit {
		w.cancel(&runError{kind: ErrTooLarge, msg: fmt.Sprintf("the process heap grew by %d MiB during the run (limit %d MiB)",
			(now-w.base)>>20, w.limit>>20)})
		return
	}
	w.mu.Lock()
	if !w.stopped {
		w.timer.Reset(memoryCheckInterval)
	}
	w.mu.Unlock()
}

func liveHeap() (uint64, bool) {
	s := []metrics.Sample{{Name: liveHeapMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0, false
	}
	return s[0].Value.Uint64(), true
}
