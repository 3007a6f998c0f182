package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
)

// ClientOpHeader optionally carries the submitting client's op id ("clientID:seq"); it is recorded
// on every event the request appends.
const ClientOpHeader = "X-GoFlow-Client-Op"

// state is an aggregate state that evolves in place (*domain.App, *domain.Page, ...).
type state interface {
	Apply(e domain.Event)
}

// aggregate says how one kind of aggregate is stored.
type aggregate[S state] struct {
	// name is used in messages ("app", "page").
	name string
	// stream maps an aggregate id to its stream id.
	stream func(id string) string
	// zero returns the empty state, before the stream's first event.
	zero func() S
	// missing is the problem code of a write to a stream that does not exist ("page_not_found");
	// "" treats an empty stream like any other version (the page tree of an app without pages).
	missing string
	// snapshotEvery, when > 0, saves the state as an event store snapshot whenever a write crosses
	// a multiple of it, and loads start from the newest snapshot at or below the wanted version.
	snapshotEvery int64
}

// loaded is a state folded from its stream, and the stream version it was folded to.
type loaded[S state] struct {
	state   S
	version int64
}

// snapshotFormat tags the snapshots this package writes. A build that changes the state's JSON
// shape bumps it; loads ignore snapshots of another format and fold from the start instead.
const snapshotFormat = 1

type snapshotBody struct {
	Format int             `json:"format"`
	State  json.RawMessage `json:"state"`
}

// load folds the aggregate's stream up to version upTo (0: the head).
func load[S state](ctx context.Context, store eventstore.Store, agg aggregate[S], id string, upTo int64) (loaded[S], error) {
	stream := agg.stream(id)
	l := loaded[S]{state: agg.zero()}
	if agg.snapshotEvery > 0 {
		if s, v, ok := loadSnapshot(ctx, store, agg, stream, upTo); ok {
			l.state, l.version = s, v
		}
	}
	limit := 0
	if upTo > 0 {
		if upTo <= l.version {
			return l, nil
		}
		limit = int(upTo - l.version)
	}
	envs, err := store.ReadStream(ctx, stream, l.version+1, limit)
	if err != nil {
		return l, fmt.Errorf("read %s: %w", stream, err)
	}
	for _, env := range envs {
		e, err := domain.Decode(env.Type, env.SchemaVersion, env.Data)
		if err != nil {
			return l, fmt.Errorf("%s version %d: %w", stream, env.StreamVersion, err)
		}
		l.state.Apply(e)
		l.version = env.StreamVersion
	}
	return l, nil
}

// loadSnapshot returns the newest usable snapshot at or below upTo (0: any).
func loadSnapshot[S state](ctx context.Context, store eventstore.Store, agg aggregate[S], stream string, upTo int64) (S, int64, bool) {
	var zero S
	snap, err := store.SnapshotLoad(ctx, stream, upTo)
	if err != nil { // ErrNotFound, or a failing store that ReadStream will report
		return zero, 0, false
	}
	var body snapshotBody
	if json.Unmarshal(snap.Data, &body) != nil || body.Format != snapshotFormat {
		return zero, 0, false
	}
	s := agg.zero()
	if json.Unmarshal(body.State, s) != nil {
		return zero, 0, false
	}
	return s, snap.Version, true
}

// command is one write: decide against the loaded state, append the result.
type command[S state] struct {
	agg aggregate[S]
	id  string
	// expected is the client's expectedVersion. nil appends against whatever version was loaded,
	// retrying the whole command a few times if the stream moves meanwhile.
	expected *int64
	// clientOp is recorded as the events' client op id; "" means the X-GoFlow-Client-Op header.
	clientOp string
	// decide returns the events to append and must leave s evolved by them (see evolve); it may
	// run more than once when the command is retried.
	decide func(s S, env domain.Env) ([]domain.Event, error)
}

// committed is the outcome of a command.
type committed[S state] struct {
	state   S
	version int64
	// events are the appended envelopes; empty when the decision changed nothing.
	events []eventstore.Envelope
}

// maxCommandAttempts bounds retries of commands without an expected version.
const maxCommandAttempts = 3

// execute runs a command: load, check the expected version, decide, append with an exact
// expected version, snapshot if due, and wait for the projections to catch up (read your writes).
func execute[S state](ctx context.Context, a *api, r *http.Request, c command[S]) (committed[S], error) {
	stream := c.agg.stream(c.id)
	for attempt := 1; ; attempt++ {
		l, err := load(ctx, a.store, c.agg, c.id, 0)
		if err != nil {
			return committed[S]{}, err
		}
		if c.expected != nil && *c.expected != l.version {
			if l.version == 0 && c.agg.missing != "" {
				return committed[S]{}, notFound(c.agg.missing, "No %s has the id %q.", c.agg.name, truncate(c.id, 40))
			}
			return committed[S]{}, versionConflict(stream, *c.expected, l.version)
		}
		before := l.version
		events, err := c.decide(l.state, a.env(r))
		if err != nil {
			return committed[S]{}, err
		}
		if len(events) == 0 {
			return committed[S]{state: l.state, version: l.version}, nil
		}
		data, err := encodeEvents(r, c.clientOp, events)
		if err != nil {
			return committed[S]{}, err
		}
		res, err := a.store.Append(ctx, stream, eventstore.Exact(before), data)
		if errors.Is(err, eventstore.ErrWrongExpectedVersion) && c.expected == nil && attempt < maxCommandAttempts {
			continue // someone else appended between our load and our append: decide again
		}
		if err != nil {
			return committed[S]{}, fmt.Errorf("append to %s: %w", stream, err)
		}
		out := committed[S]{state: l.state, version: res.StreamVersion, events: res.Events}
		if n := c.agg.snapshotEvery; n > 0 && before/n != out.version/n {
			a.saveSnapshot(ctx, stream, out.version, out.state)
		}
		a.waitForProjections(ctx, res.Events)
		return out, nil
	}
}

// evolve applies events to s; decide functions call it so that s is the state after them.
// decider is an aggregate state that decides commands of type C.
type decider[C any] interface {
	state
	Decide(c C, env domain.Env) ([]domain.Event, error)
}

// decideAll decides cmds in order against the evolving state, so that each command sees the
// events of the ones before it, and returns all their events (none if any command is rejected).
func decideAll[S decider[C], C any](cmds ...C) func(S, domain.Env) ([]domain.Event, error) {
	return func(s S, env domain.Env) ([]domain.Event, error) {
		var all []domain.Event
		for _, c := range cmds {
			evs, err := s.Decide(c, env)
			if err != nil {
				return nil, err
			}
			all = append(all, evolve(s, evs)...)
		}
		return all, nil
	}
}

func evolve[S state](s S, events []domain.Event) []domain.Event {
	for _, e := range events {
		s.Apply(e)
	}
	return events
}

// encodeEvents turns domain events into store events carrying the request's actor, correlation
// id and client op id (clientOp, or else the X-GoFlow-Client-Op header).
func encodeEvents(r *http.Request, clientOp string, events []domain.Event) ([]eventstore.EventData, error) {
	if clientOp == "" {
		clientOp = r.Header.Get(ClientOpHeader)
	}
	corr := requestID(r.Context())
	return encodeEventsAs(actorFrom(r.Context()), &corr, clientOp, events)
}

// encodeEventsAs turns domain events into store events with the given envelope fields.
func encodeEventsAs(actor string, corr *uuid.UUID, clientOp string, events []domain.Event) ([]eventstore.EventData, error) {
	out := make([]eventstore.EventData, len(events))
	for i, e := range events {
		typ, data, ver, err := domain.Encode(e)
		if err != nil {
			return nil, err
		}
		id, err := uuid.NewV7()
		if err != nil {
			return nil, fmt.Errorf("event id: %w", err)
		}
		out[i] = eventstore.EventData{
			ID: id, Type: typ, Data: data, SchemaVersion: ver,
			Actor: actor, CorrelationID: corr, ClientOpID: clientOp,
		}
	}
	return out, nil
}

// saveSnapshot stores s at version. A failure only costs later reads time, so it is logged, not
// returned: the write it follows has committed.
func (a *api) saveSnapshot(ctx context.Context, stream string, version int64, s any) {
	st, err := json.Marshal(s)
	if err == nil {
		var body []byte
		body, err = json.Marshal(snapshotBody{Format: snapshotFormat, State: st})
		if err == nil {
			err = a.store.SnapshotSave(ctx, eventstore.Snapshot{StreamID: stream, Version: version, Data: body})
		}
	}
	if err != nil {
		a.log.WarnContext(ctx, "snapshot save failed", "stream", stream, "version", version, "err", err)
	}
}

// waitForProjections blocks until the projections have handled events, for at most
// Config.ProjectionWait, so that a client reading right after its write sees it. A timeout is
// logged, not returned: the write has committed and the projections will catch up.
func (a *api) waitForProjections(ctx context.Context, events []eventstore.Envelope) {
	if a.runner == nil || len(events) == 0 {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, a.projectionWait)
	defer cancel()
	start := time.Now()
	if err := a.runner.WaitFor(wctx, events[len(events)-1].GlobalPosition); err != nil && ctx.Err() == nil {
		a.log.WarnContext(ctx, "projections did not catch up in time",
			"stream", events[0].StreamID, "waited", time.Since(start).String(), "err", err)
	}
}

// env is the domain environment of a request's commands.
func (a *api) env(r *http.Request) domain.Env {
	return domain.Env{
		Now:        a.now(),
		Actor:      actorFrom(r.Context()),
		NewID:      newID,
		Components: a.catalog,
	}
}

// newID returns a fresh UUID v7 string: time-ordered ids keep index inserts local.
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}
