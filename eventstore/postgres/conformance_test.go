package postgres_test

import (
	"context"
	"testing"

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/postgres"
	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
	"github.com/goflow-dev/goflow/eventstore/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open returns a migrated store on a fresh database.
func open(t *testing.T, cfg postgres.Config) *postgres.Store {
	t.Helper()
	ctx := context.Background()
	cfg.URL = pgtest.URL(t)
	s, err := postgres.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Features{ConcurrentTransactions: true}, func(t *testing.T, opts storetest.Options) eventstore.Store {
		return open(t, postgres.Config{PollInterval: opts.PollInterval, BeforeCommit: opts.BeforeCommit})
	})
}
