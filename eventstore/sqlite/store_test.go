package sqlite_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
)

// newStore opens a migrated store on a fresh file; it is closed when the test ends.
func newStore(t *testing.T) *sqlite.Store {
	t.Helper()
	return newStoreWith(t, sqlite.Config{})
}

func newStoreWith(t *testing.T, cfg sqlite.Config) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "events.db")
	}
	s, err := sqlite.Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	n, err := s.Migrate(ctx)
	require.NoError(t, err)
	require.Positive(t, n)
	return s
}

func ev(typ string) eventstore.EventData {
	return eventstore.EventData{Type: typ, Data: json.RawMessage(`{"k":"v"}`), Actor: "u1"}
}

func evs(n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = ev(fmt.Sprintf("test.e%d", i))
	}
	return out
}

func TestOpenConfig(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, path := range []string{"", ":memory:", "file:x.db"} {
		_, err := sqlite.Open(ctx, sqlite.Config{Path: path})
		require.ErrorIs(t, err, eventstore.ErrInvalidInput, path)
	}
	_, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "x.db"), PollInterval: -time.Second})
	require.ErrorIs(t, err, eventstore.ErrInvalidInput)

	// Awkward characters in the path must not be taken for URI syntax; missing parents are created.
	path := filepath.Join(t.TempDir(), "a dir?x=1#frag", "%41", "ev.db")
	s := newStoreWith(t, sqlite.Config{Path: path})
	_, err = s.Append(ctx, "page-1", eventstore.Any(), evs(1))
	require.NoError(t, err)
	require.FileExists(t, path)
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	var mode string
	require.NoError(t, s.DB().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
	require.Equal(t, "wal", strings.ToLower(mode))
	var busy, fk, sync int
	require.NoError(t, s.DB().QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy))
	require.NoError(t, s.DB().QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk))
	require.NoError(t, s.DB().QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync))
	require.Equal(t, 10000, busy)
	require.Equal(t, 1, fk)
	require.Equal(t, 1, sync) // NORMAL
}

func TestMigrateTwiceIsNoOp(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	n, err := s.Migrate(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	st, err := s.MigrationStatus(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, st)
	for _, m := range st {
		require.True(t, m.Applied, m.Name)
	}
}

func TestAppendExpectedMatrix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing int // events in the stream before the append
		expected eventstore.Expected
		ok       bool
	}{
		{"any on empty", 0, eventstore.Any(), true},
		{"any on existing", 2, eventstore.Any(), true},
		{"no stream on empty", 0, eventstore.NoStream(), true},
		{"no stream on existing", 2, eventstore.NoStream(), false},
		{"exists on empty", 0, eventstore.StreamExists(), false},
		{"exists on existing", 2, eventstore.StreamExists(), true},
		{"exact 0 on empty", 0, eventstore.Exact(0), true},
		{"exact 0 on existing", 2, eventstore.Exact(0), false},
		{"exact current", 2, eventstore.Exact(2), true},
		{"exact behind", 2, eventstore.Exact(1), false},
		{"exact ahead", 2, eventstore.Exact(3), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			ctx := context.Background()
			if tt.existing > 0 {
				_, err := s.Append(ctx, "page-1", eventstore.Any(), evs(tt.existing))
				require.NoError(t, err)
			}
			res, err := s.Append(ctx, "page-1", tt.expected, evs(3))
			v, verr := s.StreamVersion(ctx, "page-1")
			require.NoError(t, verr)
			if !tt.ok {
				require.ErrorIs(t, err, eventstore.ErrWrongExpectedVersion)
				var conflict *eventstore.VersionConflictError
				require.ErrorAs(t, err, &conflict)
				require.Equal(t, int64(tt.existing), conflict.Actual)
				require.Equal(t, int64(tt.existing), v, "nothing written")
				return
			}
			require.NoError(t, err)
			require.False(t, res.AlreadyApplied)
			require.Equal(t, int64(tt.existing+3), res.StreamVersion)
			require.Equal(t, int64(tt.existing+3), v)
			require.Len(t, res.Events, 3)
			for i, e := range res.Events {
				require.Equal(t, int64(tt.existing+i+1), e.StreamVersion)
				require.Equal(t, "page-1", e.StreamID)
				require.NotEqual(t, uuid.Nil, e.ID)
				require.Positive(t, e.GlobalPosition)
				if i > 0 {
					require.Greater(t, e.GlobalPosition, res.Events[i-1].GlobalPosition)
				}
			}
		})
	}
}

func TestAppendRejectsBadInput(t *testing.T) {
	t.Parallel()
	big := evs(eventstore.MaxBatchEvents + 1)
	id := uuid.Must(uuid.NewV7())
	tests := []struct {
		name     string
		stream   string
		expected eventstore.Expected
		events   []eventstore.EventData
	}{
		{"empty stream", "", eventstore.Any(), evs(1)},
		{"long stream", strings.Repeat("x", eventstore.MaxStreamIDLength+1), eventstore.Any(), evs(1)},
		{"bad utf8 stream", "page-\xff", eventstore.Any(), evs(1)},
		{"zero expected", "page-1", eventstore.Expected{}, evs(1)},
		{"negative exact", "page-1", eventstore.Exact(-1), evs(1)},
		{"no events", "page-1", eventstore.Any(), nil},
		{"too many events", "page-1", eventstore.Any(), big},
		{"no type", "page-1", eventstore.Any(), []eventstore.EventData{{Data: json.RawMessage(`{}`)}}},
		{"bad json", "page-1", eventstore.Any(), []eventstore.EventData{{Type: "t", Data: json.RawMessage(`{`)}}},
		{"no data", "page-1", eventstore.Any(), []eventstore.EventData{{Type: "t"}}},
		{"repeated id", "page-1", eventstore.Any(), []eventstore.EventData{
			{ID: id, Type: "t", Data: json.RawMessage(`1`)}, {ID: id, Type: "t", Data: json.RawMessage(`2`)}}},
	}
	s := newStore(t)
	ctx := context.Background()
	for _, tt := range tests {
		_, err := s.Append(ctx, tt.stream, tt.expected, tt.events)
		require.ErrorIs(t, err, eventstore.ErrInvalidInput, tt.name)
	}
	all, err := s.ReadAll(ctx, eventstore.ReadAllParams{})
	require.NoError(t, err)
	require.Empty(t, all)
}

func TestAppendRoundTripsEveryField(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	cause, corr := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	in := eventstore.EventData{
		ID:            uuid.Must(uuid.NewV7()),
		Type:          "page.node_prop_set",
		Data:          json.RawMessage(`{"node":"n1","prop":"text","value":"héllo"}`),
		SchemaVersion: 3,
		Actor:         "user-7",
		CausationID:   &cause,
		CorrelationID: &corr,
		ClientOpID:    "c1:42",
	}
	before := time.Now().Add(-time.Second)
	res, err := s.Append(ctx, "page-1", eventstore.NoStream(), []eventstore.EventData{in, ev("page.other")})
	require.NoError(t, err)
	got, err := s.ReadStream(ctx, "page-1", 1, 0)
	require.NoError(t, err)
	require.Equal(t, res.Events, got)
	e := got[0]
	require.Equal(t, in.ID, e.ID)
	require.Equal(t, in.Type, e.Type)
	require.JSONEq(t, string(in.Data), string(e.Data))
	require.Equal(t, 3, e.SchemaVersion)
	require.Equal(t, "user-7", e.Actor)
	require.Equal(t, &cause, e.CausationID)
	require.Equal(t, &corr, e.CorrelationID)
	require.Equal(t, "c1:42", e.ClientOpID)
	require.Equal(t, time.UTC, e.Time.Location())
	require.True(t, e.Time.After(before))
	require.Equal(t, 1, got[1].SchemaVersion, "default schema version")
	require.Nil(t, got[1].CausationID)

	// Paging a stream.
	page, err := s.ReadStream(ctx, "page-1", 2, 1)
	require.NoError(t, err)
	require.Equal(t, got[1:], page)
	none, err := s.ReadStream(ctx, "page-unknown", 0, 0)
	require.NoError(t, err)
	require.Empty(t, none)
	_, err = s.ReadStream(ctx, "page-1", 0, -1)
	require.ErrorIs(t, err, eventstore.ErrInvalidInput)
}

// NUL bytes and invalid UTF-8 in text fields are rejected (Postgres cannot store them, and both
// backends accept the same input); JSON escapes of them in data round-trip unchanged.
func TestAppendRejectsNULTextButKeepsJSONEscapes(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	for _, in := range []eventstore.EventData{
		{Type: "t\x00y", Data: json.RawMessage(`{}`)},
		{Type: "t", Data: json.RawMessage(`{}`), Actor: "a\xffb"},
		{Type: "t", Data: json.RawMessage(`{}`), ClientOpID: "c\x00"},
	} {
		_, err := s.Append(ctx, "page-a", eventstore.Any(), []eventstore.EventData{in})
		require.ErrorIs(t, err, eventstore.ErrInvalidInput)
	}
	_, err := s.Append(ctx, "page-a\x00b", eventstore.Any(), evs(1))
	require.ErrorIs(t, err, eventstore.ErrInvalidInput)
	none, err := s.ReadAll(ctx, eventstore.ReadAllParams{})
	require.NoError(t, err)
	require.Empty(t, none)

	in := eventstore.EventData{Type: "t", Data: json.RawMessage(`{"s":"a\u0000b\ud800"}`)}
	res, err := s.Append(ctx, "page-a", eventstore.Any(), []eventstore.EventData{in})
	require.NoError(t, err)
	got, err := s.ReadStream(ctx, "page-a", 0, 0)
	require.NoError(t, err)
	require.Equal(t, res.Events, got)
	require.Equal(t, string(in.Data), string(got[0].Data))
}

func TestAppendFullBatch(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	res, err := s.Append(ctx, "session-1", eventstore.Any(), evs(eventstore.MaxBatchEvents))
	require.NoError(t, err)
	require.Equal(t, int64(eventstore.MaxBatchEvents), res.StreamVersion)
	got, err := s.ReadStream(ctx, "session-1", 0, 0)
	require.NoError(t, err)
	require.Equal(t, res.Events, got)
	for i := 1; i < len(got); i++ {
		require.Equal(t, got[i-1].GlobalPosition+1, got[i].GlobalPosition)
	}
}

func TestAppendIdempotentRetry(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	batch := evs(3)
	for i := range batch {
		batch[i].ID = uuid.Must(uuid.NewV7())
	}
	first, err := s.Append(ctx, "page-1", eventstore.NoStream(), batch)
	require.NoError(t, err)
	_, err = s.Append(ctx, "page-1", eventstore.Any(), evs(2))
	require.NoError(t, err)

	// The same batch again, with an expected version that no longer holds: still a success.
	retry, err := s.Append(ctx, "page-1", eventstore.NoStream(), batch)
	require.NoError(t, err)
	require.True(t, retry.AlreadyApplied)
	require.Equal(t, first.Events, retry.Events)
	require.Equal(t, int64(3), retry.StreamVersion)
	v, err := s.StreamVersion(ctx, "page-1")
	require.NoError(t, err)
	require.Equal(t, int64(5), v, "retry wrote nothing")

	tests := []struct {
		name   string
		stream string
		events []eventstore.EventData
	}{
		{"partial overlap", "page-1", []eventstore.EventData{batch[0], ev("new")}},
		{"same ids in another stream", "page-2", batch},
		{"one id in another stream", "page-2", batch[:1]},
	}
	for _, tt := range tests {
		_, err := s.Append(ctx, tt.stream, eventstore.Any(), tt.events)
		require.ErrorIs(t, err, eventstore.ErrDuplicateEventID, tt.name)
	}
	all, err := s.ReadAll(ctx, eventstore.ReadAllParams{})
	require.NoError(t, err)
	require.Len(t, all, 5)
}

func TestAppendConcurrentIsGapless(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for range writers {
		wg.Go(func() {
			for range each {
				_, err := s.Append(ctx, "page-1", eventstore.Any(), evs(2))
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got, err := s.ReadStream(ctx, "page-1", 0, 0)
	require.NoError(t, err)
	require.Len(t, got, writers*each*2)
	for i, e := range got {
		require.Equal(t, int64(i+1), e.StreamVersion)
		if i > 0 {
			require.Greater(t, e.GlobalPosition, got[i-1].GlobalPosition)
		}
	}
}

func TestBeforeCommitErrorRollsBack(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	s := newStoreWith(t, sqlite.Config{BeforeCommit: func(ctx context.Context, streamID string) error {
		if streamID == "page-fail" {
			return boom
		}
		return nil
	}})
	ctx := context.Background()
	_, err := s.Append(ctx, "page-fail", eventstore.Any(), evs(2))
	require.ErrorIs(t, err, boom)
	v, err := s.StreamVersion(ctx, "page-fail")
	require.NoError(t, err)
	require.Zero(t, v)
	res, err := s.Append(ctx, "page-ok", eventstore.Any(), evs(1))
	require.NoError(t, err)
	require.Equal(t, int64(1), res.StreamVersion)
}

func TestReadAllPagingAndTopic(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	streams := []string{"page-1", "page", "pagetree-1", "page-2", "pag", "page.x", "pagf-1", "a_b-1", "axb-1", "a%-1"}
	for _, id := range streams {
		_, err := s.Append(ctx, id, eventstore.Any(), evs(1))
		require.NoError(t, err)
	}
	tests := []struct {
		topic string
		want  []string
	}{
		{"", streams},
		{"page", []string{"page-1", "page", "page-2"}},
		{"page-1", []string{"page-1"}},
		{"pagetree", []string{"pagetree-1"}},
		{"a_b", []string{"a_b-1"}},
		{"a%", []string{"a%-1"}},
		{"nothing", nil},
	}
	for _, tt := range tests {
		got, err := s.ReadAll(ctx, eventstore.ReadAllParams{Topic: tt.topic})
		require.NoError(t, err)
		var ids []string
		for _, e := range got {
			ids = append(ids, e.StreamID)
		}
		require.Equal(t, tt.want, ids, "topic %q", tt.topic)
	}

	// Paging with the cursor visits every event once, in order.
	var seen []string
	after := int64(0)
	for {
		page, err := s.ReadAll(ctx, eventstore.ReadAllParams{After: after, Limit: 3})
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		require.LessOrEqual(t, len(page), 3)
		for _, e := range page {
			seen = append(seen, e.StreamID)
		}
		after = page[len(page)-1].GlobalPosition
	}
	require.Equal(t, streams, seen)

	for _, p := range []eventstore.ReadAllParams{{After: -1}, {Limit: -1}, {Topic: "\xff"}} {
		_, err := s.ReadAll(ctx, p)
		require.ErrorIs(t, err, eventstore.ErrInvalidInput)
	}
}

func TestSubscribeCatchesUpThenFollows(t *testing.T) {
	t.Parallel()
	// A long poll interval proves that live delivery comes from the commit wake-up.
	s := newStoreWith(t, sqlite.Config{PollInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first, err := s.Append(ctx, "page-1", eventstore.Any(), evs(3))
	require.NoError(t, err)
	_, err = s.Append(ctx, "script-1", eventstore.Any(), evs(1))
	require.NoError(t, err)

	got := make(chan eventstore.Envelope, 100)
	done := make(chan error, 1)
	go func() {
		done <- s.Subscribe(ctx, eventstore.SubscribeParams{After: first.Events[0].GlobalPosition, Topic: "page", BatchSize: 1},
			func(ctx context.Context, events []eventstore.Envelope) error {
				for _, e := range events {
					got <- e
				}
				return nil
			})
	}()
	next := func() eventstore.Envelope {
		t.Helper()
		select {
		case e := <-got:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no event delivered")
			return eventstore.Envelope{}
		}
	}
	require.Equal(t, int64(2), next().StreamVersion)
	require.Equal(t, int64(3), next().StreamVersion)
	live, err := s.Append(ctx, "page-2", eventstore.Any(), evs(1))
	require.NoError(t, err)
	require.Equal(t, live.Events[0], next())
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}

func TestSubscribeHandlerErrorStops(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	_, err := s.Append(ctx, "page-1", eventstore.Any(), evs(1))
	require.NoError(t, err)
	stop := errors.New("stop")
	err = s.Subscribe(ctx, eventstore.SubscribeParams{}, func(context.Context, []eventstore.Envelope) error { return stop })
	require.ErrorIs(t, err, stop)
	err = s.Subscribe(ctx, eventstore.SubscribeParams{}, nil)
	require.ErrorIs(t, err, eventstore.ErrInvalidInput)
}

func TestSnapshots(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	_, err := s.SnapshotLoad(ctx, "session-1", 0)
	require.ErrorIs(t, err, eventstore.ErrNotFound)
	at := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	for _, v := range []int64{2, 5} {
		require.NoError(t, s.SnapshotSave(ctx, eventstore.Snapshot{
			StreamID: "session-1", Version: v, Data: json.RawMessage(fmt.Sprintf(`{"v":%d}`, v)), Time: at}))
	}
	tests := []struct {
		max  int64
		want int64 // 0: not found
	}{{0, 5}, {9, 5}, {5, 5}, {4, 2}, {2, 2}, {1, 0}}
	for _, tt := range tests {
		snap, err := s.SnapshotLoad(ctx, "session-1", tt.max)
		if tt.want == 0 {
			require.ErrorIs(t, err, eventstore.ErrNotFound, "max %d", tt.max)
			continue
		}
		require.NoError(t, err, "max %d", tt.max)
		require.Equal(t, tt.want, snap.Version)
		require.Equal(t, "session-1", snap.StreamID)
		require.JSONEq(t, fmt.Sprintf(`{"v":%d}`, tt.want), string(snap.Data))
		require.True(t, at.Equal(snap.Time))
	}

	// Saving at an existing version replaces it.
	require.NoError(t, s.SnapshotSave(ctx, eventstore.Snapshot{StreamID: "session-1", Version: 5, Data: json.RawMessage(`{"v":"new"}`)}))
	snap, err := s.SnapshotLoad(ctx, "session-1", 0)
	require.NoError(t, err)
	require.JSONEq(t, `{"v":"new"}`, string(snap.Data))
	require.False(t, snap.Time.IsZero())

	for _, bad := range []eventstore.Snapshot{
		{StreamID: "", Version: 1, Data: json.RawMessage(`{}`)},
		{StreamID: "s-1", Version: -1, Data: json.RawMessage(`{}`)},
		{StreamID: "s-1", Version: 1},
		{StreamID: "s-1", Version: 1, Data: json.RawMessage(`{`)},
	} {
		require.ErrorIs(t, s.SnapshotSave(ctx, bad), eventstore.ErrInvalidInput)
	}
	_, err = s.SnapshotLoad(ctx, "session-1", -1)
	require.ErrorIs(t, err, eventstore.ErrInvalidInput)
}

func TestCheckpointSwap(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	steps := []struct {
		old, new int64
		ok       bool
		after    int64
	}{
		{5, 7, false, 0}, // no row is position 0
		{0, 5, true, 5},
		{0, 7, false, 5},
		{5, 7, true, 7},
		{5, 9, false, 7},
		{7, 0, true, 0}, // rewind for a rebuild
		{0, 3, true, 3}, // a row at 0 moves like a missing one
	}
	for i, st := range steps {
		ok, err := s.CheckpointSwap(ctx, "proj", st.old, st.new)
		require.NoError(t, err, "step %d", i)
		require.Equal(t, st.ok, ok, "step %d", i)
		pos, err := s.CheckpointLoad(ctx, "proj")
		require.NoError(t, err)
		require.Equal(t, st.after, pos, "step %d", i)
	}
	pos, err := s.CheckpointLoad(ctx, "other")
	require.NoError(t, err)
	require.Zero(t, pos)
	_, err = s.CheckpointSwap(ctx, "", 0, 1)
	require.ErrorIs(t, err, eventstore.ErrInvalidInput)
	_, err = s.CheckpointSwap(ctx, "proj", 3, -1)
	require.ErrorIs(t, err, eventstore.ErrInvalidInput)
	_, err = s.CheckpointLoad(ctx, "")
	require.ErrorIs(t, err, eventstore.ErrInvalidInput)
}

func TestCheckpointSwapRacesHaveOneWinner(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	const racers = 8
	wins := make(chan bool, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			ok, err := s.CheckpointSwap(ctx, "proj", 0, int64(i+1))
			require.NoError(t, err)
			wins <- ok
		})
	}
	wg.Wait()
	close(wins)
	n := 0
	for ok := range wins {
		if ok {
			n++
		}
	}
	require.Equal(t, 1, n)
}

func TestCloseWaitsForInFlightAppend(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := sqlite.Open(context.Background(), sqlite.Config{
		Path: path,
		BeforeCommit: func(ctx context.Context, streamID string) error {
			close(entered)
			<-release
			return nil
		},
	})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = s.Migrate(ctx)
	require.NoError(t, err)

	// A caught-up subscription must end with ErrClosed when the store closes.
	subDone := make(chan error, 1)
	go func() {
		subDone <- s.Subscribe(ctx, eventstore.SubscribeParams{}, func(context.Context, []eventstore.Envelope) error { return nil })
	}()

	appendDone := make(chan error, 1)
	go func() {
		_, err := s.Append(ctx, "page-1", eventstore.Any(), evs(1))
		appendDone <- err
	}()
	<-entered
	closeDone := make(chan error, 1)
	go func() { closeDone <- s.Close() }()
	select {
	case <-closeDone:
		t.Fatal("Close returned while an append was in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	require.NoError(t, <-appendDone)
	require.NoError(t, <-closeDone)
	require.ErrorIs(t, <-subDone, eventstore.ErrClosed)

	_, err = s.Append(ctx, "page-1", eventstore.Any(), evs(1))
	require.ErrorIs(t, err, eventstore.ErrClosed)
	_, err = s.ReadAll(ctx, eventstore.ReadAllParams{})
	require.ErrorIs(t, err, eventstore.ErrClosed)
	require.ErrorIs(t, s.Ping(ctx), eventstore.ErrClosed)
	require.NoError(t, s.Close(), "second Close")

	// The append that Close waited for is durable.
	s2, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	require.NoError(t, err)
	defer s2.Close()
	v, err := s2.StreamVersion(ctx, "page-1")
	require.NoError(t, err)
	require.Equal(t, int64(1), v)
}
