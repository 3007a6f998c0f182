package postgres_test

import (
	"context"
	"testing"

	"github.com/goflow-dev/goflow/eventstore/postgres"
	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
	"github.com/goflow-dev/goflow/eventstore/storetest"
)

// BenchmarkBatch compares 100 single appends with one AppendBatch of 100 items.
func BenchmarkBatch(b *testing.B) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Config{URL: pgtest.URL(b)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	storetest.BenchmarkBatch(b, s)
}
