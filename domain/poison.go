package domain

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// PoisonQueue holds an app's workflow runs that failed every attempt, for a builder to look at,
// retry or dismiss. It lives on the stream poison-<appId>.
type PoisonQueue struct {
	AppID   string                  `json:"appId"`
	Entries map[string]*PoisonEntry `json:"entries"` // by run id
	Version int64                   `json:"version"`
}

// PoisonEntry is one poisoned run: enough to run it again.
type PoisonEntry struct {
	RunID      string          `json:"runId"`
	SessionID  string          `json:"sessionId"`
	WorkflowID string          `json:"workflowId"`
	Name       string          `json:"name"`
	Payload    json.RawMessage `json:"payload,omitempty"`
	Error      string          `json:"error"`
	Attempts   int             `json:"attempts"`
	At         time.Time       `json:"at"`
}

// MaxPoisonEntries bounds a queue: adding to a full one drops its oldest entry.
const MaxPoisonEntries = 1000

// Reasons an entry leaves the queue.
const (
	PoisonRetried   = "retried"
	PoisonDismissed = "dismissed"
	PoisonOverflow  = "overflow"
)

// CategoryPoison is the category of poison queue streams.
const CategoryPoison = "poison"

func StreamPoison(appID string) string { return CategoryPoison + "-" + appID }

// PoisonCommand is a command on a PoisonQueue.
type PoisonCommand interface{ poisonCommand() }

// AddPoisoned puts a run in the app's queue.
type AddPoisoned struct {
	AppID string      `json:"appId"`
	Entry PoisonEntry `json:"entry"`
}

// RemovePoisoned takes a run out of the queue (retried or dismissed).
type RemovePoisoned struct {
	RunID  string `json:"runId"`
	Reason string `json:"reason"`
}

func (AddPoisoned) poisonCommand()    {}
func (RemovePoisoned) poisonCommand() {}

type PoisonAdded struct {
	AppID string      `json:"appId"`
	Entry PoisonEntry `json:"entry"`
}

type PoisonRemoved struct {
	RunID  string `json:"runId"`
	Reason string `json:"reason"`
}

func (*PoisonAdded) EventType() string   { return "poison.added" }
func (*PoisonRemoved) EventType() string { return "poison.removed" }

var poisonEvents = []eventDef{{event: &PoisonAdded{}}, {event: &PoisonRemoved{}}}

// Apply evolves the queue by one event of its stream.
func (q *PoisonQueue) Apply(e Event) {
	q.Version++
	switch e := e.(type) {
	case *PoisonAdded:
		if q.Entries == nil {
			q.Entries = map[string]*PoisonEntry{}
		}
		q.AppID = e.AppID
		entry := e.Entry
		q.Entries[entry.RunID] = &entry
	case *PoisonRemoved:
		delete(q.Entries, e.RunID)
	}
}

// Sorted returns the entries oldest first (ties by run id).
func (q *PoisonQueue) Sorted() []*PoisonEntry {
	out := make([]*PoisonEntry, 0, len(q.Entries))
	for _, e := range q.Entries {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *PoisonEntry) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.RunID, b.RunID)
	})
	return out
}

// Decide validates c against the queue and returns the events to append.
func (q *PoisonQueue) Decide(c PoisonCommand, env Env) ([]Event, error) {
	switch c := c.(type) {
	case AddPoisoned:
		if err := checkID("/appId", c.AppID); err != nil {
			return nil, err
		}
		e := c.Entry
		for _, id := range []struct{ path, id string }{{"/entry/runId", e.RunID}, {"/entry/sessionId", e.SessionID}, {"/entry/workflowId", e.WorkflowID}} {
			if err := checkID(id.path, id.id); err != nil {
				return nil, err
			}
		}
		if _, dup := q.Entries[e.RunID]; dup {
			return nil, nil
		}
		payload, err := optionalJSON("/entry/payload", e.Payload, MaxRunParamsBytes)
		if err != nil {
			return nil, err
		}
		e.Payload, e.Error, e.Name, e.At = payload, CutDispatchError(e.Error), cutUTF8(e.Name, MaxNameLen*4), env.Now
		var out []Event
		if len(q.Entries) >= MaxPoisonEntries {
			out = append(out, &PoisonRemoved{RunID: q.Sorted()[0].RunID, Reason: PoisonOverflow})
		}
		return append(out, &PoisonAdded{AppID: c.AppID, Entry: e}), nil
	case RemovePoisoned:
		if _, ok := q.Entries[c.RunID]; !ok {
			return nil, notFound("not_found", "/runId", "no poisoned run %q", c.RunID)
		}
		if c.Reason != PoisonRetried && c.Reason != PoisonDismissed {
			return nil, invalid("invalid_reason", "/reason", "reason must be %q or %q", PoisonRetried, PoisonDismissed)
		}
		return []Event{&PoisonRemoved{RunID: c.RunID, Reason: c.Reason}}, nil
	case nil:
		return nil, invalid("unknown_command", "", "no command")
	default:
		return nil, invalid("unknown_command", "", "unknown poison command %T", c)
	}
}
