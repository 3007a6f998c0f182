package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
)

// Another process writing the same file can win the race between Append's checks and its insert;
// the constraint errors it then causes must still come out as the eventstore sentinels.
func TestInterpretConstraintErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, Config{Path: filepath.Join(t.TempDir(), "events.db")})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	_, err = s.Migrate(ctx)
	require.NoError(t, err)

	insert := func(id, stream string, version int) error {
		_, err := s.writer.ExecContext(ctx, "INSERT INTO events ("+insertColumns+") VALUES (?,?,?,'t','{}',1,'',NULL,NULL,'',0)",
			id, stream, version)
		return err
	}
	require.NoError(t, insert("a", "page-1", 1))
	require.ErrorIs(t, interpretError(insert("a", "page-2", 1)), eventstore.ErrDuplicateEventID)
	require.ErrorIs(t, interpretError(insert("b", "page-1", 1)), eventstore.ErrWrongExpectedVersion)

	other := errors.New("other")
	require.Equal(t, other, interpretError(other))
}
