package auth

import (
	"cmp"
	"container/list"
	"slices"
	"sync"
	"time"
)

// LimiterConfig configures a Limiter. Zero (or negative) fields take their defaults.
type LimiterConfig struct {
	// FreeAttempts is how many failures a key may have before it is blocked. Default 5.
	FreeAttempts int
	// BaseDelay is the block after the FreeAttempts-th failure; each later failure doubles it.
	// Default 1s.
	BaseDelay time.Duration
	// MaxDelay caps the block. Default 15m.
	MaxDelay time.Duration
	// Forget is how long after its last failure a key is forgotten (once no longer blocked).
	// Default 1h.
	Forget time.Duration
	// MaxKeys bounds the keys remembered; past it the key with the oldest failure is dropped, so
	// a flood of addresses costs bounded memory. Default 100000.
	MaxKeys int
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Limiter throttles login attempts per key with an exponentially growing delay. Callers check
// every key of an attempt (e.g. "user:alice" and "addr:10.0.0.1") with Wait before verifying
// the password, then report the outcome with Fail or Succeed. Safe for concurrent use.
type Limiter struct {
	cfg LimiterConfig

	mu    sync.Mutex
	keys  map[string]*list.Element // of *limiterEntry
	order *list.List               // of *limiterEntry, oldest failure first
}

type limiterEntry struct {
	key          string
	failures     int
	lastFailure  time.Time
	blockedUntil time.Time
}

// NewLimiter returns a Limiter with cfg's zero fields set to their defaults.
func NewLimiter(cfg LimiterConfig) *Limiter {
	orDefault := func(v, def time.Duration) time.Duration { return cmp.Or(max(v, 0), def) }
	cfg.FreeAttempts = cmp.Or(max(cfg.FreeAttempts, 0), 5)
	cfg.BaseDelay = orDefault(cfg.BaseDelay, time.Second)
	cfg.MaxDelay = max(orDefault(cfg.MaxDelay, 15*time.Minute), cfg.BaseDelay)
	cfg.Forget = orDefault(cfg.Forget, time.Hour)
	cfg.MaxKeys = cmp.Or(max(cfg.MaxKeys, 0), 100000)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Limiter{cfg: cfg, keys: map[string]*list.Element{}, order: list.New()}
}

// Wait returns how long the caller must wait before trying again: the longest remaining block
// among keys, or 0 if an attempt may be made now.
func (l *Limiter) Wait(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.cfg.Now()
	l.forgetExpired(now)
	var wait time.Duration
	for _, k := range keys {
		if el, ok := l.keys[k]; ok {
			wait = max(wait, el.Value.(*limiterEntry).blockedUntil.Sub(now))
		}
	}
	return wait
}

// Fail records a failed attempt against each key. Once a key has FreeAttempts failures it is
// blocked for BaseDelay * 2^(failures-FreeAttempts), capped at MaxDelay: with the defaults, the
// first five attempts go through unhindered, the 5th failure blocks for 1s, the 6th for 2s, the
// 7th for 4s, and so on.
func (l *Limiter) Fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.cfg.Now()
	l.forgetExpired(now)
	for i, k := range keys {
		if slices.Contains(keys[:i], k) {
			continue // one attempt is one failure, however the caller listed its keys
		}
		var e *limiterEntry
		if el, ok := l.keys[k]; ok {
			e = el.Value.(*limiterEntry)
			l.order.MoveToBack(el)
		} else {
			for len(l.keys) >= l.cfg.MaxKeys {
				l.remove(l.order.Front())
			}
			e = &limiterEntry{key: k}
			l.keys[k] = l.order.PushBack(e)
		}
		e.failures++
		e.lastFailure = now
		if e.failures >= l.cfg.FreeAttempts {
			e.blockedUntil = now.Add(l.delay(e.failures - l.cfg.FreeAttempts))
		}
	}
}

// Succeed forgets keys: a successful login clears their failures.
func (l *Limiter) Succeed(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if el, ok := l.keys[k]; ok {
			l.remove(el)
		}
	}
}

// delay returns BaseDelay * 2^doublings capped at MaxDelay, without overflowing.
func (l *Limiter) delay(doublings int) time.Duration {
	d := l.cfg.BaseDelay
	for range doublings {
		if d > l.cfg.MaxDelay/2 {
			return l.cfg.MaxDelay
		}
		d *= 2
	}
	return min(d, l.cfg.MaxDelay)
}

// forgetExpired drops keys from the oldest failure on while they are past Forget and no longer
// blocked. It stops at the first key to keep, so each call costs O(keys dropped).
func (l *Limiter) forgetExpired(now time.Time) {
	for el := l.order.Front(); el != nil; el = l.order.Front() {
		e := el.Value.(*limiterEntry)
		if now.Sub(e.lastFailure) < l.cfg.Forget || now.Before(e.blockedUntil) {
			return
		}
		l.remove(el)
	}
}

func (l *Limiter) remove(el *list.Element) {
	delete(l.keys, el.Value.(*limiterEntry).key)
	l.order.Remove(el)
}
