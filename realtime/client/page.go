package client

import (
	"encoding/json"
	"fmt"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/realtime"
)

// PageDoc is an open page. The confirmed page is the server's: the snapshot and the events
// since. The local page is the confirmed one with the ops the server has not decided yet
// decided again on top, so that it shows the user's edits at once and others' as they arrive.
type PageDoc struct {
	docBase
	confirmed *domain.Page
	// local caches the local page; nil when it must be rebuilt.
	local      *domain.Page
	ops        []pageOp // submitted, not yet decided by the server, in seq order
	rejections []Rejection
}

type pageOp struct {
	seq int64
	op  json.RawMessage
}

// Confirmed returns a copy of the server's page and its version (nil before it loaded).
func (p *PageDoc) Confirmed() (*domain.Page, int64) {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	return p.confirmed.Clone(), p.version
}

// Local returns a copy of the page with the pending ops applied (nil before it loaded). Its
// Version counts their events too.
func (p *PageDoc) Local() *domain.Page {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	return p.localPage().Clone()
}

// Rejections returns the ops the server refused, oldest first.
func (p *PageDoc) Rejections() []Rejection {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	return append([]Rejection(nil), p.rejections...)
}

// PendingSeqs returns the seqs of the ops the server has not decided yet.
func (p *PageDoc) PendingSeqs() []int64 {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	out := make([]int64, len(p.ops))
	for i, o := range p.ops {
		out[i] = o.seq
	}
	return out
}

// Submit applies a page op (the HTTP API's form, {"op": "set_prop", ...}) to the local page at
// once and queues it for the server; ops queued together go in one submit. An op the local page
// refuses is sent all the same: the server decides. An insert_node without a nodeId gets one, so
// that later ops can name the node. It returns the op's seq.
func (p *PageDoc) Submit(op json.RawMessage) (int64, error) {
	if !json.Valid(op) {
		return 0, fmt.Errorf("realtime client: page op is not JSON")
	}
	op = p.s.withNodeID(op)
	p.s.mu.Lock()
	defer p.s.unlock()
	if p.s.docs[p.doc] != document(p) {
		return 0, fmt.Errorf("%w: %q is closed", ErrUnknownDoc, p.doc)
	}
	o := pageOp{seq: p.s.nextSeq(), op: op}
	p.ops = append(p.ops, o)
	if p.local != nil {
		p.s.decideLocal(p.local, o)
	}
	p.s.queueOp(p.doc, p.version, realtime.Op{Seq: o.seq, Page: o.op}, true)
	p.s.touch(p.doc)
	return o.seq, nil
}

// withNodeID gives an insert_node op without a nodeId a fresh one.
func (s *Session) withNodeID(op json.RawMessage) json.RawMessage {
	var head struct {
		Op     string `json:"op"`
		NodeID string `json:"nodeId"`
	}
	if json.Unmarshal(op, &head) != nil || head.Op != "insert_node" || head.NodeID != "" {
		return op
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(op, &m) != nil {
		return op
	}
	m["nodeId"], _ = json.Marshal(s.cfg.NewID())
	out, err := json.Marshal(m)
	if err != nil {
		return op
	}
	return out
}

// localPage returns the cached local page, rebuilding it when needed.
func (p *PageDoc) localPage() *domain.Page {
	if p.confirmed == nil {
		return nil
	}
	if p.local == nil {
		l := p.confirmed.Clone()
		for _, o := range p.ops {
			p.s.decideLocal(l, o)
		}
		p.local = l
	}
	return p.local
}

// decideLocal decides op against pg and applies its events; a refused op changes nothing.
func (s *Session) decideLocal(pg *domain.Page, o pageOp) {
	cmd, err := domain.DecodePageOp(o.op)
	if err != nil {
		return
	}
	env := domain.Env{Now: s.cfg.Now().UTC(), Actor: s.user, NewID: s.localIDs(o.seq), Components: s.cfg.Catalog}
	events, err := pg.Decide(cmd, env)
	if err != nil {
		return
	}
	for _, e := range events {
		pg.Apply(e)
	}
}

func (p *PageDoc) load(version int64, snapshot json.RawMessage) error {
	var pg domain.Page
	if err := json.Unmarshal(snapshot, &pg); err != nil {
		return fmt.Errorf("page snapshot: %w", err)
	}
	pg.Version = version
	p.confirmed, p.version, p.local = &pg, version, nil
	return nil
}

func (p *PageDoc) apply(ev realtime.Event) {
	e, err := p.s.decode(ev)
	if err != nil {
		// Unknown to this build: it still counts as a version (Apply of nil does only that).
		p.s.log.Warn("realtime client: undecodable event", "doc", p.doc, "version", ev.Version, "type", ev.Type, "err", err)
	}
	p.confirmed.Apply(e)
	p.local = nil
	if ev.ClientID == p.s.cfg.ClientID && ev.Seq > 0 {
		p.drop(ev.Seq)
	}
}

// drop removes the pending op seq; false if there is none.
func (p *PageDoc) drop(seq int64) (pageOp, bool) {
	for i, o := range p.ops {
		if o.seq == seq {
			p.ops = append(p.ops[:i], p.ops[i+1:]...)
			p.local = nil
			return o, true
		}
	}
	return pageOp{}, false
}

func (p *PageDoc) acked(results []realtime.Result) {
	for _, r := range results {
		o, ok := p.drop(r.Seq)
		if ok && r.Status == realtime.StatusRejected {
			p.rejections = append(p.rejections, Rejection{Doc: p.doc, Seq: r.Seq, Code: r.Code, Message: r.Message, Path: r.Path, Op: o.op})
		}
	}
}

func (p *PageDoc) resubmit() {
	for _, o := range p.ops {
		p.s.queueOp(p.doc, p.version, realtime.Op{Seq: o.seq, Page: o.op}, true)
	}
}

func (p *PageDoc) subscribeVersion() int64 { return p.version }

func (p *PageDoc) pending() int { return len(p.ops) }
