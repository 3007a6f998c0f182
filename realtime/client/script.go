package client

import (
	"encoding/json"
	"fmt"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/realtime"
	"github.com/goflow-dev/goflow/realtime/textot"
)

// ScriptState is where a script's local edits are, as in the ot.js client.
type ScriptState string

const (
	// Synchronized: nothing in flight.
	Synchronized ScriptState = "synchronized"
	// AwaitingConfirm: one edit is in flight.
	AwaitingConfirm ScriptState = "awaiting_confirm"
	// AwaitingWithBuffer: one edit is in flight and later ones wait in the buffer.
	AwaitingWithBuffer ScriptState = "awaiting_with_buffer"
	// Rebasing: the server could not place the edit in flight (it refused it, or the client got
	// a snapshot while it was in flight); the local edits wait to be merged into a fresh state.
	Rebasing ScriptState = "rebasing"
)

// Rejection codes after which local script edits are kept and merged into a fresh snapshot; other
// refusals drop them.
var rebaseCodes = map[string]bool{"base_too_old": true, "future_version": true, "unavailable": true}

// ScriptDoc is an open script. Its local text is the confirmed text with the edit in flight
// and the buffered edits applied; both are transformed against every edit of others that
// arrives (textot.Transform(mine, theirs): the server's edit wins ties), which is exactly what
// the server does to the edit in flight when it commits it.
type ScriptDoc struct {
	docBase
	confirmed   *domain.Script
	text        string // local
	outstanding *scriptOp
	buffer      textot.Op
	rebase      *scriptRebase
	rejections  []Rejection
}

type scriptOp struct {
	seq int64
	op  textot.Op
}

// scriptRebase holds local edits that the server could not take as they are. They are merged
// into the confirmed text by a three-way text merge once it is known whether the edit in flight
// was committed (fateKnown) and, after a refusal, once a fresh snapshot arrived.
type scriptRebase struct {
	base        string // the text the local edits were made on
	baseVersion int64
	inflight    *scriptOp // the edit whose fate is awaited (nil when known)
	committed   bool      // the edit in flight was committed: base+op is in the confirmed text
	withOp      string    // base with the edit in flight applied
	needSnap    bool
}

// Text returns the local text, with the edits not yet confirmed ("" before the script loaded).
func (d *ScriptDoc) Text() string {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	return d.text
}

// ConfirmedText returns the server's text.
func (d *ScriptDoc) ConfirmedText() string {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	if d.confirmed == nil {
		return ""
	}
	return d.confirmed.Text
}

// Confirmed returns a copy of the server's script and its version (nil before it loaded).
func (d *ScriptDoc) Confirmed() (*domain.Script, int64) {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	if d.confirmed == nil {
		return nil, 0
	}
	c := *d.confirmed
	return &c, d.version
}

// State returns the OT client state.
func (d *ScriptDoc) State() ScriptState {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	switch {
	case d.rebase != nil:
		return Rebasing
	case d.outstanding == nil:
		return Synchronized
	case d.buffer == nil:
		return AwaitingConfirm
	default:
		return AwaitingWithBuffer
	}
}

// InFlight returns the seq of the edit in flight (0 when none).
func (d *ScriptDoc) InFlight() int64 {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	if d.outstanding == nil {
		return 0
	}
	return d.outstanding.seq
}

// Rejections returns the edits the server refused, oldest first.
func (d *ScriptDoc) Rejections() []Rejection {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	return append([]Rejection(nil), d.rejections...)
}

// Edit applies op (UTF-16 units, against the local text) locally and sends it, or buffers it
// while another edit is in flight.
func (d *ScriptDoc) Edit(op textot.Op) error {
	d.s.mu.Lock()
	defer d.s.unlock()
	if d.s.docs[d.doc] != document(d) {
		return fmt.Errorf("%w: %q is closed", ErrUnknownDoc, d.doc)
	}
	if d.confirmed == nil {
		return ErrNotLoaded
	}
	if err := op.Validate(textot.Len16(d.text)); err != nil {
		return err
	}
	text, err := textot.Apply(d.text, op)
	if err != nil {
		return err
	}
	op = textot.Normalize(op)
	if op == nil {
		return nil
	}
	switch {
	case d.rebase != nil:
		// The merge diffs the local text against the base: nothing to record.
	case d.outstanding == nil:
		d.send(op)
	default:
		buf, err := textot.Compose(d.buffer, op)
		if err != nil {
			return err
		}
		d.buffer = buf
	}
	d.text = text
	d.s.touch(d.doc)
	return nil
}

// send puts op in flight, based on the confirmed version.
func (d *ScriptDoc) send(op textot.Op) {
	d.outstanding = &scriptOp{seq: d.s.nextSeq(), op: op}
	d.s.queueOp(d.doc, d.version, realtime.Op{Seq: d.outstanding.seq, Edits: op}, false)
}

// confirm ends the edit in flight and sends the buffer.
func (d *ScriptDoc) confirm() {
	d.outstanding = nil
	if buf := d.buffer; buf != nil {
		d.buffer = nil
		d.send(buf)
	}
}

func (d *ScriptDoc) load(version int64, snapshot json.RawMessage) error {
	var sc domain.Script
	if err := json.Unmarshal(snapshot, &sc); err != nil {
		return fmt.Errorf("script snapshot: %w", err)
	}
	sc.Version = version
	switch {
	case d.confirmed == nil:
		d.text = sc.Text
	case d.rebase != nil:
		d.rebase.needSnap = false
	case d.outstanding != nil:
		// Whether the edit in flight is in the snapshot is unknown until its ack: merge then.
		o := d.outstanding
		with, err := textot.Apply(d.confirmed.Text, o.op)
		if err != nil {
			with = d.confirmed.Text
		}
		d.rebase = &scriptRebase{base: d.confirmed.Text, baseVersion: d.version, inflight: o, withOp: with}
		d.outstanding, d.buffer = nil, nil
	default:
		d.text = sc.Text
	}
	d.confirmed, d.version = &sc, version
	d.merge()
	return nil
}

func (d *ScriptDoc) apply(ev realtime.Event) {
	before := d.confirmed.Text
	if e, err := d.s.decode(ev); err == nil {
		d.confirmed.Apply(e)
	} else {
		d.s.log.Warn("realtime client: undecodable event", "doc", d.doc, "version", ev.Version, "type", ev.Type, "err", err)
		d.confirmed.Version++
		if t, err := textot.Apply(before, ev.Edits); err == nil {
			d.confirmed.Text = t
		}
	}
	theirs := ev.Edits
	if theirs == nil && d.confirmed.Text != before {
		theirs = textot.Op{{Pos: 0, Delete: textot.Len16(before), Insert: d.confirmed.Text}}
	}
	own := ev.ClientID == d.s.cfg.ClientID && ev.Seq > 0
	if r := d.rebase; r != nil {
		if own && r.inflight != nil && ev.Seq == r.inflight.seq {
			r.inflight, r.committed = nil, true
			d.merge()
		}
		return // the merge takes the confirmed text as it then is
	}
	if own && d.outstanding != nil && ev.Seq == d.outstanding.seq {
		d.confirm()
		return
	}
	if theirs == nil {
		return
	}
	if d.outstanding != nil {
		d.outstanding.op, theirs = textot.Transform(d.outstanding.op, theirs)
	}
	if d.buffer != nil {
		d.buffer, theirs = textot.Transform(d.buffer, theirs)
	}
	text, err := textot.Apply(d.text, theirs)
	if err != nil {
		// Cannot happen while the local text is confirmed+outstanding+buffer; start over from
		// the server's text rather than show a wrong one.
		d.s.log.Error("realtime client: a remote edit does not fit the local text", "doc", d.doc, "err", err)
		d.discard("diverged", "The local text no longer matched the server's; local edits were dropped.")
		return
	}
	d.text = text
}

func (d *ScriptDoc) acked(results []realtime.Result) {
	for _, res := range results {
		if r := d.rebase; r != nil {
			if r.inflight != nil && res.Seq == r.inflight.seq {
				r.inflight, r.committed = nil, res.Status == realtime.StatusCommitted
				if !r.committed {
					d.reject(res, "")
				}
				d.merge()
			}
			continue
		}
		if d.outstanding == nil || res.Seq != d.outstanding.seq {
			continue // an answer to an edit already settled (its event came first)
		}
		if res.Status == realtime.StatusCommitted {
			d.confirm()
			continue
		}
		if rebaseCodes[res.Code] {
			d.reject(res, " The local edits are kept and merged into the latest text.")
			d.rebase = &scriptRebase{base: d.confirmed.Text, baseVersion: d.version, needSnap: true}
			d.outstanding, d.buffer = nil, nil
			d.s.subscribe(d, 0)
			continue
		}
		d.reject(res, "")
		d.discard("", "")
	}
}

func (d *ScriptDoc) reject(res realtime.Result, note string) {
	d.rejections = append(d.rejections, Rejection{Doc: d.doc, Seq: res.Seq, Code: res.Code, Message: res.Message + note, Path: res.Path})
}

// discard drops every local edit: the local text becomes the confirmed one. A code records why.
func (d *ScriptDoc) discard(code, msg string) {
	if code != "" {
		d.rejections = append(d.rejections, Rejection{Doc: d.doc, Code: code, Message: msg})
	}
	d.outstanding, d.buffer, d.rebase = nil, nil, nil
	d.text = d.confirmed.Text
}

// merge ends a rebase once it can: the local edits (the difference between the text they were
// made on and the local text) are transformed against what the server did meanwhile (the
// difference between that text and the confirmed one) and sent as one edit.
func (d *ScriptDoc) merge() {
	r := d.rebase
	if r == nil || r.needSnap || r.inflight != nil {
		return
	}
	base := r.base
	if r.committed {
		base = r.withOp
	}
	mine, _ := textot.Transform(diffOp(base, d.text), diffOp(base, d.confirmed.Text))
	text, err := textot.Apply(d.confirmed.Text, mine)
	d.rebase = nil
	if err != nil {
		d.discard("merge_failed", "The local edits could not be merged into the latest text and were dropped.")
		return
	}
	d.text = text
	if mine != nil {
		d.send(mine)
	}
}

// diffOp is an op turning a into b.
func diffOp(a, b string) textot.Op {
	if a == b {
		return nil
	}
	op, err := textot.FromBytes(a, domain.TextEditsBetween(a, b))
	if err != nil {
		return textot.Op{{Pos: 0, Delete: textot.Len16(a), Insert: b}}
	}
	return op
}

func (d *ScriptDoc) resubmit() {
	switch {
	case d.rebase != nil && d.rebase.inflight != nil:
		// Based on the text it was made on; the server either recognises its seq or transforms
		// it from there (or refuses it as too old: the merge then keeps it).
		o := d.rebase.inflight
		d.s.queueOp(d.doc, d.rebase.baseVersion, realtime.Op{Seq: o.seq, Edits: o.op}, false)
	case d.outstanding != nil:
		// Transformed against everything received since it was sent: based on the confirmed
		// version now.
		d.s.queueOp(d.doc, d.version, realtime.Op{Seq: d.outstanding.seq, Edits: d.outstanding.op}, false)
	}
}

func (d *ScriptDoc) subscribeVersion() int64 {
	if d.rebase != nil && d.rebase.needSnap {
		return 0
	}
	return d.version
}

func (d *ScriptDoc) pending() int {
	n := 0
	if d.outstanding != nil {
		n++
	}
	if d.buffer != nil {
		n++
	}
	if d.rebase != nil {
		n++
	}
	return n
}
