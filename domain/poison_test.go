package domain_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
)

func TestPoisonQueue(t *testing.T) {
	t.Parallel()
	q := &domain.PoisonQueue{}
	var log []domain.Event
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	do := func(c domain.PoisonCommand) []domain.Event {
		t.Helper()
		at = at.Add(time.Second)
		evs, err := q.Decide(c, domain.Env{Now: at, Actor: "runtime"})
		require.NoError(t, err)
		for _, e := range evs {
			q.Apply(e)
		}
		log = append(log, evs...)
		return evs
	}
	entry := func(i int) domain.PoisonEntry {
		return domain.PoisonEntry{RunID: "r" + strconv.Itoa(i), SessionID: "s1", WorkflowID: "w1", Name: "sync", Payload: json.RawMessage(`{ "n": 1 }`), Error: "boom", Attempts: 3}
	}
	require.Len(t, do(domain.AddPoisoned{AppID: "a1", Entry: entry(0)}), 1)
	require.Empty(t, do(domain.AddPoisoned{AppID: "a1", Entry: entry(0)}), "adding a run twice changes nothing")
	require.Equal(t, `{"n":1}`, string(q.Entries["r0"].Payload))
	require.Len(t, do(domain.RemovePoisoned{RunID: "r0", Reason: domain.PoisonRetried}), 1)
	require.Empty(t, q.Entries)

	for i := 1; i <= domain.MaxPoisonEntries; i++ {
		do(domain.AddPoisoned{AppID: "a1", Entry: entry(i)})
	}
	evs := do(domain.AddPoisoned{AppID: "a1", Entry: entry(domain.MaxPoisonEntries + 1)})
	require.Len(t, evs, 2, "a full queue drops its oldest entry")
	require.Equal(t, &domain.PoisonRemoved{RunID: "r1", Reason: domain.PoisonOverflow}, evs[0])
	require.Len(t, q.Entries, domain.MaxPoisonEntries)
	require.Equal(t, "r2", q.Sorted()[0].RunID)

	folded := &domain.PoisonQueue{}
	for _, e := range log {
		folded.Apply(e)
	}
	require.Equal(t, q, folded)
	requireCodecRoundTrip(t, log[:3])
	requireCoversPrefix(t, "poison.", log[:3])
	require.Equal(t, "poison-a1", domain.StreamPoison("a1"))
}

func TestPoisonQueueRejects(t *testing.T) {
	t.Parallel()
	q := &domain.PoisonQueue{}
	env := domain.Env{Now: time.Now()}
	tests := []struct {
		name string
		cmd  domain.PoisonCommand
		kind error
		code string
		path string
	}{
		{"remove unknown", domain.RemovePoisoned{RunID: "nope", Reason: domain.PoisonDismissed}, domain.ErrNotFound, "not_found", "/runId"},
		{"bad app", domain.AddPoisoned{AppID: "a b"}, domain.ErrInvalid, "invalid_id", "/appId"},
		{"no run id", domain.AddPoisoned{AppID: "a", Entry: domain.PoisonEntry{SessionID: "s", WorkflowID: "w"}}, domain.ErrInvalid, "invalid_id", "/entry/runId"},
		{"bad payload", domain.AddPoisoned{AppID: "a", Entry: domain.PoisonEntry{RunID: "r", SessionID: "s", WorkflowID: "w", Payload: json.RawMessage(`{`)}}, domain.ErrInvalid, "invalid_json", "/entry/payload"},
		{"no command", nil, domain.ErrInvalid, "unknown_command", ""},
	}
	for _, tt := range tests {
		_, err := q.Decide(tt.cmd, env)
		requireDomainErr(t, err, tt.kind, tt.code, tt.path)
	}
}
