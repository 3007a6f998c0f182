package workflow

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"time"
)

// Retry policy limits and defaults.
const (
	// MaxAttempts is the most attempts a policy may ask for.
	MaxAttempts       = 10
	DefaultBackoff    = 500 * time.Millisecond
	DefaultMaxBackoff = 30 * time.Second
)

// Policy is a workflow's retry policy. The zero value runs once.
type Policy struct {
	// MaxAttempts is the number of attempts, the first included. Default 1; at most [MaxAttempts]
	// (larger values are lowered to it; Validate rejects them).
	MaxAttempts int
	// Backoff is the wait before the second attempt; it doubles for each later one. Default 500ms.
	Backoff time.Duration
	// MaxBackoff caps a single wait. Default 30s (or Backoff, when that is larger).
	MaxBackoff time.Duration
	// Jitter draws each wait uniformly from [d/2, d] instead of d, so that runs failing together
	// do not retry together.
	Jitter bool
}

// Validate rejects out-of-range policies, for the API that stores them.
func (p Policy) Validate() error {
	switch {
	case p.MaxAttempts < 0 || p.MaxAttempts > MaxAttempts:
		return fmt.Errorf("workflow: maxAttempts %d must be between 1 and %d", p.MaxAttempts, MaxAttempts)
	case p.Backoff < 0 || p.MaxBackoff < 0:
		return fmt.Errorf("workflow: backoff %s and maxBackoff %s must not be negative", p.Backoff, p.MaxBackoff)
	}
	return nil
}

func (p Policy) withDefaults() Policy {
	p.MaxAttempts = min(cmp.Or(max(p.MaxAttempts, 0), 1), MaxAttempts)
	p.Backoff = cmp.Or(max(p.Backoff, 0), DefaultBackoff)
	p.MaxBackoff = max(cmp.Or(max(p.MaxBackoff, 0), DefaultMaxBackoff), p.Backoff)
	return p
}

// Delay returns the wait after failed attempt n (1-based) before attempt n+1: Backoff·2^(n-1),
// capped at MaxBackoff, jittered when Jitter is set. Defaults apply to zero fields.
func (p Policy) Delay(n int) time.Duration {
	p = p.withDefaults()
	d := p.Backoff
	for i := 1; i < n && d < p.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.MaxBackoff)
	if p.Jitter && d > 1 {
		d = d/2 + rand.N(d/2+1)
	}
	return d
}
