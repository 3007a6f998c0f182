package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/realtime/textot"
)

// peer is what a room talks to: one client connection.
type peer interface {
	// identity returns the connection's user and client id.
	identity() (user, clientID string)
	// send queues a message for the client without blocking; a peer whose queue is full closes
	// itself (the client reconnects and catches up).
	send(msg any)
}

// textStep is one version of a script: the text change it made, in UTF-16 units against the
// previous version's text (nil when the event did not touch the text).
type textStep struct {
	version int64
	op      textot.Op
}

// submission is one submit message waiting for its room's next append.
type submission struct {
	p        peer
	user     string
	clientID string
	msg      Submit
}

// room is one open document: its state, the connections watching it, and the queue of ops to
// commit. Ops are decided and appended under mu, in arrival order: the server order that makes
// last-writer-wins well defined. While one append is in flight the next ops queue up and are
// committed together by the next one (group commit), so a busy page costs one append per round
// trip, not one per op.
type room struct {
	e    *Engine
	doc  string
	kind string
	refs int // guarded by e.mu

	mu      sync.Mutex
	loaded  bool
	page    *domain.Page
	script  *domain.Script
	version int64
	// seqs is the highest committed seq of each client (keyed by seqKey: user and client id, so
	// that nobody can claim another user's client id): a resubmitted op at or below it is
	// acknowledged again without being applied twice.
	seqs map[string]int64
	// hist holds the script's most recent versions (kind script only), oldest first.
	hist  []textStep
	peers map[peer]json.RawMessage

	qmu      sync.Mutex
	queue    []submission
	flushing bool
}

func newRoom(e *Engine, doc, kind string) *room {
	return &room{e: e, doc: doc, kind: kind, peers: map[peer]json.RawMessage{}}
}

// ensureLoaded folds the document's stream on first use.
func (r *room) ensureLoaded(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.loaded {
		return nil
	}
	if err := r.reset(ctx); err != nil {
		return err
	}
	if r.version == 0 {
		return fmt.Errorf("%w: %s has no events", ErrUnknownDoc, r.doc)
	}
	r.loaded = true
	return nil
}

// reset folds the stream from its start into a fresh state, returning the events after the
// version the room had (those the subscribers have not seen).
func (r *room) reset(ctx context.Context) error {
	envs, err := r.e.cfg.Store.ReadStream(ctx, r.doc, 1, 0)
	if err != nil {
		return fmt.Errorf("load %s: %w", r.doc, err)
	}
	r.page, r.script, r.version, r.seqs, r.hist = nil, nil, 0, map[string]int64{}, nil
	if r.kind == domain.CategoryPage {
		r.page = &domain.Page{}
	} else {
		r.script = &domain.Script{}
	}
	for _, env := range envs {
		if _, err := r.apply(env); err != nil {
			return err
		}
	}
	return nil
}

// apply folds one stored event into the state and returns its wire form.
func (r *room) apply(env eventstore.Envelope) (Event, error) {
	e, err := domain.Decode(env.Type, env.SchemaVersion, env.Data)
	if err != nil {
		return Event{}, fmt.Errorf("%s version %d: %w", r.doc, env.StreamVersion, err)
	}
	w := wireEvent(env)
	if r.page != nil {
		r.page.Apply(e)
	} else {
		before := r.script.Text
		r.script.Apply(e)
		w.Edits = textChange(before, r.script.Text, e)
		r.hist = append(r.hist, textStep{version: env.StreamVersion, op: w.Edits})
		if over := len(r.hist) - r.e.cfg.ScriptHistory; over > 0 {
			r.hist = append(r.hist[:0:0], r.hist[over:]...)
		}
	}
	r.version = env.StreamVersion
	if k := seqKey(w.Actor, w.ClientID); w.ClientID != "" && w.Seq > r.seqs[k] {
		r.seqs[k] = w.Seq
	}
	return w, nil
}

// textChange is a script event's text change in UTF-16 units: the recorded edits for a text
// change, a whole-text replacement for a restore, nil otherwise.
func textChange(before, after string, e domain.Event) textot.Op {
	if before == after {
		return nil
	}
	if tc, ok := e.(*domain.ScriptTextChanged); ok {
		if op, err := textot.FromBytes(before, tc.Edits); err == nil {
			return op
		}
	}
	return textot.Op{{Pos: 0, Delete: textot.Len16(before), Insert: after}}
}

// wireEvent is an envelope as the protocol sends it.
func wireEvent(env eventstore.Envelope) Event {
	w := Event{Version: env.StreamVersion, Type: env.Type, Data: env.Data, SchemaVersion: env.SchemaVersion,
		Actor: env.Actor, Time: env.Time.UTC().Format(time.RFC3339Nano)}
	w.ClientID, w.Seq = parseClientOp(env.ClientOpID)
	return w
}

// seqKey identifies a client of a user.
func seqKey(user, clientID string) string { return user + "\x00" + clientID }

// clientOpID is the client op id recorded on the events of an op.
func clientOpID(clientID string, seq int64) string {
	return clientID + ":" + strconv.FormatInt(seq, 10)
}

func parseClientOp(s string) (string, int64) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return "", 0
	}
	seq, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil || seq <= 0 {
		return "", 0
	}
	return s[:i], seq
}

// subscribe adds p to the room and sends it what it needs to catch up from version. The answer
// is queued under the room's lock, so no live event can overtake it.
func (r *room) subscribe(ctx context.Context, p peer, version int64) error {
	sub, err := r.subscribeLocked(ctx, p, version)
	if err != nil {
		return err
	}
	p.send(sub)
	r.mu.Unlock()
	return nil
}

// subscribeLocked builds the answer and registers p; it returns with r.mu held unless it fails.
func (r *room) subscribeLocked(ctx context.Context, p peer, version int64) (Subscribed, error) {
	r.mu.Lock()
	out := Subscribed{Type: TypeSubscribed, Doc: r.doc, Version: r.version}
	events, ok, err := r.missed(ctx, version)
	if err != nil {
		r.mu.Unlock()
		return out, err
	}
	if ok {
		out.Events = events
	} else {
		var state any = r.page
		if r.script != nil {
			state = r.script
		}
		if out.Snapshot, err = json.Marshal(state); err != nil {
			r.mu.Unlock()
			return out, fmt.Errorf("snapshot %s: %w", r.doc, err)
		}
	}
	for q, st := range r.peers {
		if st != nil && q != p {
			u, c := q.identity()
			out.Presence = append(out.Presence, PresenceInfo{User: u, ClientID: c, State: st})
		}
	}
	if _, already := r.peers[p]; !already {
		r.peers[p] = nil
	}
	return out, nil
}

// missed returns the events after version, or false when a snapshot serves better: the client
// has nothing, is too far behind, or claims a version the room does not have.
func (r *room) missed(ctx context.Context, version int64) ([]Event, bool, error) {
	switch {
	case version == r.version:
		return nil, true, nil
	case version <= 0 || version > r.version || r.version-version > r.e.cfg.CatchUpLimit:
		return nil, false, nil
	}
	envs, err := r.e.cfg.Store.ReadStream(ctx, r.doc, version+1, int(r.version-version))
	if err != nil {
		return nil, false, fmt.Errorf("catch up %s: %w", r.doc, err)
	}
	if int64(len(envs)) != r.version-version {
		return nil, false, nil
	}
	out := make([]Event, len(envs))
	for i, env := range envs {
		var ok bool
		if out[i], ok = r.storedEvent(env); !ok {
			return nil, false, nil // older than the kept history: snapshot
		}
	}
	return out, true, nil
}

// storedEvent is the wire form of an event the room has applied, with a script's UTF-16 edits
// from the kept history; false when the version is older than that history.
func (r *room) storedEvent(env eventstore.Envelope) (Event, bool) {
	w := wireEvent(env)
	if r.script == nil {
		return w, true
	}
	st, ok := r.step(env.StreamVersion)
	w.Edits = st.op
	return w, ok
}

// step returns the kept text step of a script version.
func (r *room) step(version int64) (textStep, bool) {
	if len(r.hist) == 0 {
		return textStep{}, false
	}
	i := version - r.hist[0].version
	if i < 0 || i >= int64(len(r.hist)) {
		return textStep{}, false
	}
	return r.hist[i], true
}

// unsubscribe removes p; the others learn it left.
func (r *room) unsubscribe(p peer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.peers[p]; !ok {
		return
	}
	delete(r.peers, p)
	u, c := p.identity()
	for q := range r.peers {
		if qu, qc := q.identity(); qu == u && qc == c {
			return // the same client reconnected: it is still here
		}
	}
	r.broadcast(p, Presence{Type: TypePresence, Doc: r.doc, User: u, ClientID: c, Left: true})
}

// presence records p's presence state and relays it to the others.
func (r *room) presence(p peer, state json.RawMessage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.peers[p]; !ok {
		return
	}
	r.peers[p] = state
	u, c := p.identity()
	r.broadcast(p, Presence{Type: TypePresence, Doc: r.doc, User: u, ClientID: c, State: state})
}

// broadcast sends msg to every peer but except, encoded once for all of them.
func (r *room) broadcast(except peer, msg any) {
	if _, in := r.peers[except]; len(r.peers) == 0 || (len(r.peers) == 1 && in) {
		return
	}
	raw, err := json.Marshal(msg)
	if err != nil {
		r.e.log.Error("realtime: encode broadcast", "doc", r.doc, "err", err)
		return
	}
	for q := range r.peers {
		if q != except {
			q.send(json.RawMessage(raw))
		}
	}
}

// external brings the room up to date with events appended by another writer, up to at least
// version (0: whatever the stream has), and broadcasts them.
func (r *room) external(ctx context.Context, version int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.loaded || (version > 0 && version <= r.version) {
		return
	}
	if err := r.catchUp(ctx); err != nil {
		r.e.log.WarnContext(ctx, "realtime: catching a room up failed", "doc", r.doc, "err", err)
	}
}

// catchUp applies and broadcasts the stream's events after the room's version.
func (r *room) catchUp(ctx context.Context) error {
	envs, err := r.e.cfg.Store.ReadStream(ctx, r.doc, r.version+1, 0)
	if err != nil {
		return err
	}
	if len(envs) == 0 {
		return nil
	}
	events := make([]Event, 0, len(envs))
	for _, env := range envs {
		w, err := r.apply(env)
		if err != nil {
			return err
		}
		events = append(events, w)
	}
	r.broadcast(nil, Events{Type: TypeEvents, Doc: r.doc, Events: events})
	return nil
}

// submit queues ops for the room's next append and makes sure a flusher runs.
func (r *room) submit(s submission) {
	if r.e.cfg.Inline {
		r.commit([]submission{s})
		return
	}
	r.qmu.Lock()
	r.queue = append(r.queue, s)
	start := !r.flushing
	r.flushing = true
	r.qmu.Unlock()
	if start {
		go r.flush()
	}
}

// flush commits queued submissions until the queue is empty.
func (r *room) flush() {
	for {
		if w := r.e.cfg.BatchWindow; w > 0 {
			time.Sleep(w)
		}
		r.qmu.Lock()
		batch := r.queue
		r.queue = nil
		if len(batch) == 0 {
			r.flushing = false
			r.qmu.Unlock()
			return
		}
		r.qmu.Unlock()
		r.commit(batch)
	}
}

// maxCommitAttempts bounds retries when another writer appends between our decision and append.
const maxCommitAttempts = 5

// commit decides a batch of submissions, appends the accepted ops' events in one append, then
// broadcasts them and answers each submission. When another writer got there first, the room
// catches up (broadcasting that writer's events) and decides the batch again.
func (r *room) commit(batch []submission) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	for attempt := 1; ; attempt++ {
		results, data, steps, err := r.decideBatch(batch)
		if err == nil && len(data) == 0 {
			r.answer(batch, results)
			return
		}
		var res eventstore.AppendResult
		if err == nil {
			res, err = r.e.cfg.Store.Append(ctx, r.doc, eventstore.Exact(r.version), data)
		}
		if err == nil {
			r.committed(batch, results, res, steps)
			return
		}
		// The in-memory state holds the failed decisions: fold it again from the log (this also
		// brings in, and broadcasts, whatever the other writer appended).
		before := r.version
		if rerr := r.reset(ctx); rerr != nil {
			r.e.log.ErrorContext(ctx, "realtime: reloading a room failed", "doc", r.doc, "err", rerr)
			r.failAll(batch, "unavailable", "The document could not be reloaded; reconnect and retry.")
			return
		}
		r.broadcastSince(ctx, before)
		if !errors.Is(err, eventstore.ErrWrongExpectedVersion) || attempt == maxCommitAttempts {
			r.e.log.ErrorContext(ctx, "realtime: append failed", "doc", r.doc, "attempt", attempt, "err", err)
			r.failAll(batch, "unavailable", "The change could not be stored; retry.")
			return
		}
	}
}

// broadcastSince sends the events after version from the (reloaded) state's stream.
func (r *room) broadcastSince(ctx context.Context, version int64) {
	if r.version <= version {
		return
	}
	envs, err := r.e.cfg.Store.ReadStream(ctx, r.doc, version+1, int(r.version-version))
	if err != nil {
		return
	}
	events := make([]Event, len(envs))
	for i, env := range envs {
		events[i], _ = r.storedEvent(env) // just reloaded: the history holds them
	}
	r.broadcast(nil, Events{Type: TypeEvents, Doc: r.doc, Events: events})
}

// pendingOp locates a decided op's events in the batch's append.
type pendingOp struct {
	sub, op   int // indexes in the batch and the submission
	lastEvent int // index of its last event in data
}

// decided is the outcome of deciding a batch.
type decided struct {
	results [][]Result
	pending []pendingOp
}

// decideBatch decides every op of the batch against the evolving state. It returns per-op
// results (committed ones get their version once appended), the events to append, and for
// scripts the UTF-16 text step of each event.
func (r *room) decideBatch(batch []submission) (decided, []eventstore.EventData, []textot.Op, error) {
	out := decided{results: make([][]Result, len(batch))}
	var data []eventstore.EventData
	var steps []textot.Op
	seqs := map[string]int64{} // ops committed earlier in this batch
	var scriptOps []textot.Op  // script changes decided earlier in this batch, in order
	for i, s := range batch {
		out.results[i] = make([]Result, len(s.msg.Ops))
		for j, op := range s.msg.Ops {
			res := &out.results[i][j]
			res.Seq = op.Seq
			if op.Seq <= 0 {
				res.Status, res.Code, res.Message = StatusRejected, "invalid_seq", "seq must be a positive number."
				continue
			}
			key := seqKey(s.user, s.clientID)
			if op.Seq <= max(r.seqs[key], seqs[key]) {
				res.Status, res.Version = StatusCommitted, r.version // a resubmit: already in the document
				continue
			}
			env := domain.Env{Now: r.e.cfg.Now().UTC(), Actor: s.user, NewID: r.e.cfg.NewID, Components: r.e.cfg.Catalog}
			events, step, err := r.decideOp(s, op, scriptOps, env)
			if err != nil {
				res.Status = StatusRejected
				res.Code, res.Message, res.Path = rejection(err)
				continue
			}
			seqs[key] = op.Seq
			res.Status = StatusCommitted
			if len(events) == 0 {
				res.Version = r.version
				continue
			}
			for _, e := range events {
				d, err := encode(e, s.user, clientOpID(s.clientID, op.Seq))
				if err != nil {
					return out, nil, nil, err
				}
				data = append(data, d)
				steps = append(steps, nil)
			}
			steps[len(steps)-1] = step
			if step != nil {
				scriptOps = append(scriptOps, step)
			}
			out.pending = append(out.pending, pendingOp{sub: i, op: j, lastEvent: len(data) - 1})
		}
	}
	return out, data, steps, nil
}

// decideOp decides one op and evolves the state by its events. batchOps are the script changes
// decided earlier in the same batch (not in hist until the append succeeds).
func (r *room) decideOp(s submission, op Op, batchOps []textot.Op, env domain.Env) ([]domain.Event, textot.Op, error) {
	if r.page != nil {
		if op.Page == nil {
			return nil, nil, invalidOp("page_op_required", "A page op is required.")
		}
		cmd, err := domain.DecodePageOp(op.Page)
		if err != nil {
			return nil, nil, err
		}
		events, err := r.page.Decide(cmd, env)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range events {
			r.page.Apply(e)
		}
		return events, nil, nil
	}
	if op.Edits == nil {
		return nil, nil, invalidOp("edits_required", "A script op carries edits.")
	}
	edits, err := r.rebase(s, op.Edits, batchOps)
	if err != nil {
		return nil, nil, err
	}
	bytes, err := textot.ToBytes(r.script.Text, edits)
	if err != nil {
		return nil, nil, invalidOp("invalid_edit", err.Error())
	}
	events, err := r.script.Decide(domain.EditScriptText{Edits: bytes}, env)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range events {
		r.script.Apply(e)
	}
	return events, edits, nil
}

// rebase transforms a script op made against the submission's base version through every text
// change committed after it, and those decided earlier in this batch, so that it applies to the
// current text.
func (r *room) rebase(s submission, op textot.Op, batchOps []textot.Op) (textot.Op, error) {
	base := s.msg.BaseVersion
	if base > r.version {
		return nil, invalidOp("future_version", fmt.Sprintf("Base version %d is ahead of the script (version %d): resubscribe.", base, r.version))
	}
	if base < r.version {
		first, ok := r.step(base + 1)
		if !ok || first.version != base+1 {
			return nil, invalidOp("base_too_old", fmt.Sprintf("Base version %d is older than the edits this server keeps: resubscribe and resubmit.", base))
		}
		for v := base + 1; v <= r.version; v++ {
			st, _ := r.step(v)
			if st.op != nil {
				op, _ = textot.Transform(op, st.op)
			}
		}
	}
	for _, b := range batchOps {
		op, _ = textot.Transform(op, b)
	}
	if err := op.Validate(textot.Len16(r.script.Text)); err != nil {
		return nil, invalidOp("invalid_edit", err.Error())
	}
	return op, nil
}

// committed records a successful append: versions, seqs, script history; then broadcasts the
// events and answers the submissions.
func (r *room) committed(batch []submission, d decided, res eventstore.AppendResult, steps []textot.Op) {
	first := res.StreamVersion - int64(len(res.Events)) + 1
	events := make([]Event, len(res.Events))
	for i, env := range res.Events {
		events[i] = wireEvent(env)
		if r.script != nil {
			events[i].Edits = steps[i]
			r.hist = append(r.hist, textStep{version: env.StreamVersion, op: steps[i]})
		}
	}
	if over := len(r.hist) - r.e.cfg.ScriptHistory; over > 0 {
		r.hist = append(r.hist[:0:0], r.hist[over:]...)
	}
	before := r.version
	r.version = res.StreamVersion
	if f := r.e.cfg.Fanout; f != nil {
		doc, v := r.doc, r.version
		go func() { // best effort, off the room's lock: the log is the fallback
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := f.Publish(ctx, doc, v); err != nil {
				r.e.log.Warn("realtime: fan-out publish failed", "doc", doc, "err", err)
			}
		}()
	}
	if f := r.e.cfg.AfterCommit; f != nil {
		var state any = r.page
		if r.script != nil {
			state = r.script
		}
		f(context.Background(), r.doc, before, r.version, state)
	}
	for _, p := range d.pending {
		d.results[p.sub][p.op].Version = first + int64(p.lastEvent)
	}
	for _, p := range d.pending {
		s := batch[p.sub]
		if k, seq := seqKey(s.user, s.clientID), s.msg.Ops[p.op].Seq; seq > r.seqs[k] {
			r.seqs[k] = seq
		}
	}
	r.broadcast(nil, Events{Type: TypeEvents, Doc: r.doc, Events: events})
	r.answer(batch, d)
}

// answer sends each submission its ack.
func (r *room) answer(batch []submission, d decided) {
	for i, s := range batch {
		s.p.send(Ack{Type: TypeAck, Doc: r.doc, Results: d.results[i]})
	}
}

// failAll rejects every op of the batch (the append failed for a reason the client cannot fix).
func (r *room) failAll(batch []submission, code, msg string) {
	for _, s := range batch {
		results := make([]Result, len(s.msg.Ops))
		for j, op := range s.msg.Ops {
			results[j] = Result{Seq: op.Seq, Status: StatusRejected, Code: code, Message: msg}
		}
		s.p.send(Ack{Type: TypeAck, Doc: r.doc, Results: results})
	}
}

// encode turns a domain event into a store event.
func encode(e domain.Event, actor, clientOp string) (eventstore.EventData, error) {
	typ, data, ver, err := domain.Encode(e)
	if err != nil {
		return eventstore.EventData{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return eventstore.EventData{}, err
	}
	return eventstore.EventData{ID: id, Type: typ, Data: data, SchemaVersion: ver, Actor: actor, ClientOpID: clientOp}, nil
}

// rejection turns a decision error into a result's code, message and path.
func rejection(err error) (code, msg, path string) {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Code, de.Message, de.Path
	}
	return "invalid_op", err.Error(), ""
}

func invalidOp(code, msg string) error {
	return &domain.Error{Kind: domain.ErrInvalid, Code: code, Message: msg}
}

func newUUID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}
