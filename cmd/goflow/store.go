package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/postgres"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
	"github.com/goflow-dev/goflow/migrations"
)

// store is what the commands need of a backend: the event store plus its migrations.
type store interface {
	eventstore.Store
	// Migrate applies pending migrations and returns how many ran.
	Migrate(ctx context.Context) (int, error)
	// MigrationStatus lists every migration and whether it is applied.
	MigrationStatus(ctx context.Context) ([]migrations.Status, error)
}

var (
	_ store = (*postgres.Store)(nil)
	_ store = (*sqlite.Store)(nil)
)

// sqliteFile is the embedded store's file name inside --data-dir.
const sqliteFile = "goflow.db"

// openStore opens the backend the flags select: Postgres for a postgres:// or postgresql:// URL,
// the embedded SQLite file <data-dir>/goflow.db when the URL is empty. It also returns a
// description of the store, safe to log (no password).
func openStore(ctx context.Context, f storeFlags, log *slog.Logger) (store, string, error) {
	switch {
	case f.databaseURL == "":
		if f.dataDir == "" {
			return nil, "", usageError("--data-dir is empty")
		}
		path := filepath.Join(f.dataDir, sqliteFile)
		s, err := sqlite.Open(ctx, sqlite.Config{Path: path, Logger: log})
		if err != nil {
			return nil, "", fmt.Errorf("open sqlite store %s: %w", path, err)
		}
		return s, "sqlite " + path, nil
	case strings.HasPrefix(f.databaseURL, "postgres://"), strings.HasPrefix(f.databaseURL, "postgresql://"):
		desc := "postgres " + redact(f.databaseURL)
		s, err := postgres.Open(ctx, postgres.Config{URL: f.databaseURL, Logger: log})
		if err != nil {
			return nil, "", fmt.Errorf("open %s: %w", desc, err)
		}
		return s, desc, nil
	default:
		return nil, "", usageError("--database-url must be a postgres:// or postgresql:// URL (or empty for the embedded store), got %q", redact(f.databaseURL))
	}
}

// redact hides a URL's password, if it has one.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
