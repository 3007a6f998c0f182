package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/goflow-dev/goflow/eventstore"
)

// SnapshotSave stores a snapshot, replacing one at the same version. A zero Time means now.
func (s *Store) SnapshotSave(ctx context.Context, snap eventstore.Snapshot) error {
	if err := s.enter(); err != nil {
		return fmt.Errorf("save snapshot of %s: %w", snap.StreamID, err)
	}
	defer s.inflight.Done()

	if err := eventstore.ValidateSnapshot(snap); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	at := snap.Time
	if at.IsZero() {
		at = eventstore.Now()
	}
	_, err := s.writer.ExecContext(ctx,
		`INSERT INTO snapshots (stream_id, version, data, created_at) VALUES (?, ?, ?, ?)
		 ON CONFLICT (stream_id, version) DO UPDATE SET data = excluded.data, created_at = excluded.created_at`,
		snap.StreamID, snap.Version, []byte(snap.Data), at.UnixMicro())
	if err != nil {
		return fmt.Errorf("save snapshot of %s at %d: %w", snap.StreamID, snap.Version, interpretError(err))
	}
	return nil
}

// SnapshotLoad returns the latest snapshot at or below maxVersion (0: any), or ErrNotFound.
func (s *Store) SnapshotLoad(ctx context.Context, streamID string, maxVersion int64) (eventstore.Snapshot, error) {
	if err := s.enter(); err != nil {
		return eventstore.Snapshot{}, fmt.Errorf("load snapshot of %s: %w", streamID, err)
	}
	defer s.inflight.Done()

	if err := eventstore.ValidateStreamID(streamID); err != nil {
		return eventstore.Snapshot{}, fmt.Errorf("load snapshot: %w", err)
	}
	if maxVersion < 0 {
		return eventstore.Snapshot{}, fmt.Errorf("load snapshot of %s: %w", streamID, invalid("negative max version %d", maxVersion))
	}
	snap := eventstore.Snapshot{StreamID: streamID}
	var (
		data   []byte
		micros int64
	)
	err := s.reader.QueryRowContext(ctx,
		`SELECT version, data, created_at FROM snapshots
		 WHERE stream_id = ? AND (? = 0 OR version <= ?) ORDER BY version DESC LIMIT 1`,
		streamID, maxVersion, maxVersion).Scan(&snap.Version, &data, &micros)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return eventstore.Snapshot{}, fmt.Errorf("load snapshot of %s: %w", streamID, eventstore.ErrNotFound)
	case err != nil:
		return eventstore.Snapshot{}, fmt.Errorf("load snapshot of %s: %w", streamID, err)
	}
	snap.Data = data
	snap.Time = time.UnixMicro(micros).UTC()
	return snap, nil
}
