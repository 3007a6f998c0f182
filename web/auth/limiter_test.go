package auth_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/web/auth"
)

// fakeClock is a clock tests move by hand; safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func setupLimiter(t *testing.T, cfg auth.LimiterConfig) (*auth.Limiter, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	cfg.Now = clock.Now
	return auth.NewLimiter(cfg), clock
}

func TestLimiterDelayGrowsAndIsCapped(t *testing.T) {
	t.Parallel()
	l, _ := setupLimiter(t, auth.LimiterConfig{FreeAttempts: 3, BaseDelay: time.Second, MaxDelay: 10 * time.Second})
	want := []time.Duration{0, 0, 1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		l.Fail("user:alice")
		require.Equal(t, w, l.Wait("user:alice"), "after failure %d", i+1)
	}
}

func TestLimiterDefaults(t *testing.T) {
	t.Parallel()
	l, clock := setupLimiter(t, auth.LimiterConfig{})
	for range 4 {
		l.Fail("user:alice")
	}
	require.Zero(t, l.Wait("user:alice"), "five attempts are free")
	l.Fail("user:alice")
	require.Equal(t, time.Second, l.Wait("user:alice"))
	l.Fail("user:alice")
	require.Equal(t, 2*time.Second, l.Wait("user:alice"))
	for range 100 { // far past 2^63 ns: the delay must not overflow
		l.Fail("user:alice")
	}
	require.Equal(t, 15*time.Minute, l.Wait("user:alice"))

	clock.Advance(59 * time.Minute)
	require.Zero(t, l.Wait("user:alice"))
	l.Fail("user:alice")
	require.Equal(t, 15*time.Minute, l.Wait("user:alice"), "remembered for an hour after the last failure")

	clock.Advance(time.Hour)
	l.Fail("user:alice")
	require.Zero(t, l.Wait("user:alice"), "forgotten an hour after the last failure")
}

func TestLimiterWaitCountsDown(t *testing.T) {
	t.Parallel()
	l, clock := setupLimiter(t, auth.LimiterConfig{FreeAttempts: 1, BaseDelay: 10 * time.Second})
	l.Fail("user:alice")
	require.Equal(t, 10*time.Second, l.Wait("user:alice"))
	clock.Advance(3 * time.Second)
	require.Equal(t, 7*time.Second, l.Wait("user:alice"))
	clock.Advance(7 * time.Second)
	require.Zero(t, l.Wait("user:alice"))
	l.Fail("user:alice")
	require.Equal(t, 20*time.Second, l.Wait("user:alice"), "the failure count survives the block")
}

func TestLimiterWaitTakesTheLongestKey(t *testing.T) {
	t.Parallel()
	l, _ := setupLimiter(t, auth.LimiterConfig{FreeAttempts: 1, BaseDelay: time.Second})
	l.Fail("user:alice", "addr:10.0.0.1")
	l.Fail("addr:10.0.0.1")
	l.Fail("addr:10.0.0.1")
	tests := []struct {
		name string
		keys []string
		want time.Duration
	}{
		{"no keys", nil, 0},
		{"unknown key", []string{"user:bob"}, 0},
		{"user", []string{"user:alice"}, time.Second},
		{"address", []string{"addr:10.0.0.1"}, 4 * time.Second},
		{"both", []string{"user:alice", "addr:10.0.0.1"}, 4 * time.Second},
		{"other user from the same address", []string{"user:bob", "addr:10.0.0.1"}, 4 * time.Second},
		{"same user from another address", []string{"user:alice", "addr:10.0.0.2"}, time.Second},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, l.Wait(tt.keys...), tt.name)
	}
}

func TestLimiterSucceedForgets(t *testing.T) {
	t.Parallel()
	l, _ := setupLimiter(t, auth.LimiterConfig{FreeAttempts: 2})
	l.Fail("user:alice", "addr:a")
	l.Fail("user:alice", "addr:a")
	require.Equal(t, time.Second, l.Wait("user:alice", "addr:a"))
	l.Succeed("user:alice")
	require.Zero(t, l.Wait("user:alice"))
	require.Equal(t, time.Second, l.Wait("addr:a"), "only the named keys are forgotten")
	l.Fail("user:alice")
	require.Zero(t, l.Wait("user:alice"), "counting starts over")
}

func TestLimiterRepeatedKeyInOneCallCountsOnce(t *testing.T) {
	t.Parallel()
	l, _ := setupLimiter(t, auth.LimiterConfig{FreeAttempts: 2})
	l.Fail("user:alice", "user:alice")
	require.Zero(t, l.Wait("user:alice"))
	l.Fail("user:alice")
	require.Equal(t, time.Second, l.Wait("user:alice"))
}

func TestLimiterEvictsTheStalestKey(t *testing.T) {
	t.Parallel()
	l, clock := setupLimiter(t, auth.LimiterConfig{FreeAttempts: 1, BaseDelay: time.Hour, MaxKeys: 3})
	for _, k := range []string{"a", "b", "c"} {
		l.Fail(k)
		clock.Advance(time.Second)
	}
	l.Fail("a") // a is now the most recent failure; b the stalest
	clock.Advance(time.Second)
	l.Fail("d")
	require.Zero(t, l.Wait("b"), "the stalest key makes room")
	for _, k := range []string{"a", "c", "d"} {
		require.NotZero(t, l.Wait(k), "key %s", k)
	}
	l.Fail("e")
	require.Zero(t, l.Wait("c"))
	for _, k := range []string{"a", "d", "e"} {
		require.NotZero(t, l.Wait(k), "key %s", k)
	}
}

func TestLimiterConcurrentUse(t *testing.T) {
	t.Parallel()
	const workers, perWorker = 8, 50
	l, _ := setupLimiter(t, auth.LimiterConfig{FreeAttempts: workers * perWorker, BaseDelay: time.Minute, MaxKeys: 1000})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			own := fmt.Sprintf("addr:%d", w)
			for i := range perWorker {
				l.Fail("user:shared", own)
				_ = l.Wait("user:shared", own)
				if i%10 == 0 {
					l.Succeed(own)
				}
			}
		})
	}
	wg.Wait()
	// Exactly workers*perWorker failures reach the shared key only if none was lost.
	require.Equal(t, time.Minute, l.Wait("user:shared"))
	for w := range workers {
		require.Zero(t, l.Wait(fmt.Sprintf("addr:%d", w)))
	}
}
