package auth

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLimiterMemoryIsBounded(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(LimiterConfig{MaxKeys: 10, Forget: time.Minute, Now: func() time.Time { return now }})
	for i := range 1000 {
		l.Fail(fmt.Sprintf("addr:%d", i))
		require.LessOrEqual(t, len(l.keys), 10)
		require.Equal(t, len(l.keys), l.order.Len())
	}
	now = now.Add(time.Minute)
	require.Zero(t, l.Wait())
	require.Empty(t, l.keys, "keys past Forget are dropped, not only ignored")
	require.Zero(t, l.order.Len())
}
