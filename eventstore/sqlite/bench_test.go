package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
	"github.com/goflow-dev/goflow/eventstore/storetest"
)

func benchStore(b *testing.B) *sqlite.Store {
	b.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(b.TempDir(), "events.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkAppend measures one single-event append (one commit) to one of many streams, the
// runtime's dispatch pattern.
func BenchmarkAppend(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.Append(ctx, fmt.Sprintf("session-%d", i%100), eventstore.Any(), evs(1)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkReadStream measures reading a 10-event stream.
func BenchmarkReadStream(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	if _, err := s.Append(ctx, "session-1", eventstore.NoStream(), evs(10)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := s.ReadStream(ctx, "session-1", 0, 0)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != 10 {
			b.Fatalf("read %d events, want 10", len(got))
		}
	}
}

// BenchmarkBatch compares 100 single appends with one AppendBatch of 100 items.
func BenchmarkBatch(b *testing.B) {
	storetest.BenchmarkBatch(b, benchStore(b))
}
