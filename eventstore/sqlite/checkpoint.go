package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/goflow-dev/goflow/eventstore"
)

// CheckpointLoad returns a named consumer's saved cursor, 0 if it has none.
func (s *Store) CheckpointLoad(ctx context.Context, name string) (int64, error) {
	if err := s.enter(); err != nil {
		return 0, fmt.Errorf("load checkpoint %s: %w", name, err)
	}
	defer s.inflight.Done()

	if err := eventstore.ValidateCheckpointName(name); err != nil {
		return 0, fmt.Errorf("load checkpoint: %w", err)
	}
	var pos int64
	err := s.reader.QueryRowContext(ctx, "SELECT position FROM checkpoints WHERE name = ?", name).Scan(&pos)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("load checkpoint %s: %w", name, err)
	}
	return pos, nil
}

// CheckpointSwap moves a named consumer's cursor from old to new, reporting false if it was not
// at old. A consumer without a checkpoint is at 0.
func (s *Store) CheckpointSwap(ctx context.Context, name string, old, new int64) (bool, error) {
	if err := s.enter(); err != nil {
		return false, fmt.Errorf("swap checkpoint %s: %w", name, err)
	}
	defer s.inflight.Done()

	if err := eventstore.ValidateCheckpointName(name); err != nil {
		return false, fmt.Errorf("swap checkpoint: %w", err)
	}
	if old < 0 || new < 0 {
		return false, fmt.Errorf("swap checkpoint %s: %w", name, invalid("negative position (%d -> %d)", old, new))
	}
	now := eventstore.Now().UnixMicro()
	var (
		res sql.Result
		err error
	)
	if old == 0 {
		// No row counts as position 0, so insert, or move a row that is at 0; each is one atomic
		// statement. A conflicting row not at 0 changes nothing and reports 0 rows.
		res, err = s.writer.ExecContext(ctx,
			`INSERT INTO checkpoints (name, position, updated_at) VALUES (?, ?, ?)
			 ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at
			 WHERE checkpoints.position = 0`,
			name, new, now)
	} else {
		res, err = s.writer.ExecContext(ctx,
			"UPDATE checkpoints SET position = ?, updated_at = ? WHERE name = ? AND position = ?",
			new, now, name, old)
	}
	if err != nil {
		return false, fmt.Errorf("swap checkpoint %s: %w", name, interpretError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("swap checkpoint %s: %w", name, err)
	}
	return n == 1, nil
}
