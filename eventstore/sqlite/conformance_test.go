package sqlite_test

import (
	"testing"

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
	"github.com/goflow-dev/goflow/eventstore/storetest"
)

// TestConformance runs the shared event store suite. SQLite has one writer, so the rules that need
// several open transactions are skipped.
func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Features{ConcurrentTransactions: false},
		func(t *testing.T, opts storetest.Options) eventstore.Store {
			return newStoreWith(t, sqlite.Config{BeforeCommit: opts.BeforeCommit, PollInterval: opts.PollInterval})
		})
}
