package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/goflow-dev/goflow/eventstore/postgres"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/projections/pgdocs"
	"github.com/goflow-dev/goflow/projections/sqlitedocs"
)

// openDocs opens the projections' document store in the event store's database: over the
// Postgres pool, or on the same SQLite file. The returned close releases it (before the store).
func openDocs(ctx context.Context, f storeFlags, st store) (projections.DocStore, func() error, error) {
	switch s := st.(type) {
	case *postgres.Store:
		return pgdocs.New(s.Pool()), func() error { return nil }, nil
	case *sqlite.Store:
		path := filepath.Join(f.dataDir, sqliteFile)
		docs, err := sqlitedocs.Open(ctx, path)
		if err != nil {
			return nil, nil, fmt.Errorf("open projections store %s: %w", path, err)
		}
		return docs, docs.Close, nil
	default:
		return nil, nil, fmt.Errorf("no projections store for %T", st)
	}
}
