package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
)

// ScriptLogTimeLayout formats the time in script log keys: RFC 3339 in UTC with nine fractional
// digits. Fixed width, so that keys sort by time (time.RFC3339Nano drops trailing zeros and
// would not).
const ScriptLogTimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// Kinds of script change, after the event types script.<kind>.
const (
	ChangeCreated     = "created"
	ChangeTextChanged = "text_changed"
	ChangeRenamed     = "renamed"
	ChangeDeleted     = "deleted"
	ChangeRestored    = "restored"
)

// ScriptChange is one entry of the script change log.
type ScriptChange struct {
	EventID  string `json:"eventId"`
	AppID    string `json:"appId"`
	ScriptID string `json:"scriptId"`
	// ScriptName is the script's name after the change; PreviousName is set by renames.
	ScriptName   string    `json:"scriptName"`
	PreviousName string    `json:"previousName,omitempty"`
	Author       string    `json:"author"`
	Time         time.Time `json:"time"`
	// Version is the script's version after the change.
	Version int64 `json:"version"`
	// Kind is one of ChangeCreated, ChangeTextChanged, ChangeRenamed, ChangeDeleted,
	// ChangeRestored.
	Kind string `json:"kind"`
	// RestoredFrom is the version a restore brought the text back from.
	RestoredFrom int64 `json:"restoredFrom,omitempty"`
	// UnifiedDiff turns the previous text into the new one ("" when the text did not change).
	UnifiedDiff string `json:"unifiedDiff"`
}

// ScriptLogKey is the key of a script log entry: "<appId>/<time>/<eventId>", so that one app's
// entries list in time order under the prefix "<appId>/".
func ScriptLogKey(appID string, t time.Time, eventID uuid.UUID) string {
	return appID + "/" + t.UTC().Format(ScriptLogTimeLayout) + "/" + eventID.String()
}

// ScriptLogProjection writes one ScriptChange per script event. To diff each change against the
// previous text it keeps every script's state (domain.Script) under the internal key
// "#<scriptId>"; keys without "/" are internal, entries always have one.
type ScriptLogProjection struct {
	types map[string]bool
}

var _ KeyedProjection = (*ScriptLogProjection)(nil)

// NewScriptLogProjection returns the script log projection.
func NewScriptLogProjection() *ScriptLogProjection {
	return &ScriptLogProjection{types: knownTypes()}
}

// Name returns ScriptLog.
func (p *ScriptLogProjection) Name() string { return ScriptLog }

func scriptID(e eventstore.Envelope) (string, bool) {
	id, ok := strings.CutPrefix(e.StreamID, domain.CategoryScript+"-")
	return id, ok && id != ""
}

// Handles reports whether e is a script event.
func (p *ScriptLogProjection) Handles(e eventstore.Envelope) bool {
	_, ok := scriptID(e)
	return ok
}

// Keys returns the script's internal state key.
func (p *ScriptLogProjection) Keys(e eventstore.Envelope) []string {
	if id, ok := scriptID(e); ok {
		return []string{IndexKey(id)}
	}
	return nil
}

// Apply records e if it is a script change not recorded yet.
func (p *ScriptLogProjection) Apply(_ context.Context, tx DocTx, e eventstore.Envelope) error {
	id, ok := scriptID(e)
	if !ok {
		return nil
	}
	c := stateCacheOf(tx, p, func() *domain.Script { return &domain.Script{} },
		func(_ DocTx, id string) (string, error) { return IndexKey(id), nil })
	ent, err := c.get(id)
	if err != nil {
		return err
	}
	if e.StreamVersion <= ent.version {
		return nil
	}
	ev, err := decode(p.types, e)
	if err != nil {
		return fmt.Errorf("%s: %s v%d: %w", ScriptLog, e.StreamID, e.StreamVersion, err)
	}
	before := *ent.state
	ent.state.Apply(ev)
	ent.version, ent.dirty = e.StreamVersion, true

	kind, ok := strings.CutPrefix(e.Type, domain.CategoryScript+".")
	if !ok || !p.types[e.Type] {
		return nil
	}
	after := ent.state
	entry := ScriptChange{
		EventID: e.ID.String(), AppID: after.AppID, ScriptID: id, ScriptName: after.Name,
		Author: e.Actor, Time: e.Time.UTC(), Version: e.StreamVersion, Kind: kind,
	}
	if before.Name != after.Name && kind != ChangeCreated {
		entry.PreviousName = before.Name
	}
	if r, ok := ev.(*domain.ScriptRestored); ok {
		entry.RestoredFrom = r.FromVersion
	}
	from := fmt.Sprintf("%s@v%d", before.Name, e.StreamVersion-1)
	if kind == ChangeCreated {
		from = "/dev/null"
	}
	entry.UnifiedDiff = domain.UnifiedDiff(before.Text, after.Text, from, fmt.Sprintf("%s@v%d", after.Name, e.StreamVersion))
	data, err := json.Marshal(entry)
	if err != nil {
		return fmt.Errorf("%s: encode entry: %w", ScriptLog, err)
	}
	return tx.Put(ScriptLogKey(after.AppID, e.Time, e.ID), data, e.StreamVersion)
}
