package sqlitedocs_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/projections/doctest"
	"github.com/goflow-dev/goflow/projections/sqlitedocs"
)

func open(t *testing.T) (projections.DocStore, eventstore.Store) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "goflow.db")
	s, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	_, err = s.Migrate(ctx)
	require.NoError(t, err)
	docs, err := sqlitedocs.Open(ctx, path)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, docs.Close()) })
	return docs, s
}

func TestConformance(t *testing.T) { doctest.Run(t, open) }

func TestOpenRejectsNonFilePaths(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", ":memory:", "file:x.db"} {
		_, err := sqlitedocs.Open(context.Background(), p)
		require.ErrorIs(t, err, projections.ErrInvalid, p)
	}
}
