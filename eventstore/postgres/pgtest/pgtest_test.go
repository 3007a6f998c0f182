package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestURLGivesAFreshReachableDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	url := pgtest.URL(t)
	t.Logf("database: %s", url)
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })

	var one int
	require.NoError(t, conn.QueryRow(ctx, "SELECT 1").Scan(&one))
	require.Equal(t, 1, one)

	var tables int
	require.NoError(t, conn.QueryRow(ctx,
		"SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&tables))
	require.Zero(t, tables, "a new database is empty")
}

func TestURLCallsGiveDifferentDatabases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	dbName := func(url string) string {
		conn, err := pgx.Connect(ctx, url)
		require.NoError(t, err)
		defer conn.Close(context.Background())
		var name string
		require.NoError(t, conn.QueryRow(ctx, "SELECT current_database()").Scan(&name))
		return name
	}
	a, b := dbName(pgtest.URL(t)), dbName(pgtest.URL(t))
	require.NotEqual(t, a, b)
	require.Regexp(t, `^goflow_t_[0-9a-f]{16}$`, a)
}

func TestDatabaseIsDroppedAfterTheTest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	var url string
	t.Run("user", func(t *testing.T) {
		url = pgtest.URL(t)
		conn, err := pgx.Connect(ctx, url)
		require.NoError(t, err)
		// Left open on purpose: the drop is WITH (FORCE).
		_ = conn
	})
	_, err := pgx.Connect(ctx, url)
	require.ErrorContains(t, err, "does not exist", "the subtest's database is gone once the subtest ends")
}
