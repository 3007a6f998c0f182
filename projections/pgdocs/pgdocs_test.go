package pgdocs_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/postgres"
	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/projections/doctest"
	"github.com/goflow-dev/goflow/projections/pgdocs"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T) (projections.DocStore, eventstore.Store) {
	t.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Config{URL: pgtest.URL(t), MaxConns: 8})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	_, err = s.Migrate(ctx)
	require.NoError(t, err)
	return pgdocs.New(s.Pool()), s
}

func TestConformance(t *testing.T) { doctest.Run(t, open) }
