package projections_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/projections"
)

// TestRebuildEqualsLive is the rebuild-equality rule of the issue: a seeded random workload of
// domain commands is appended while the live runner projects it (some before the runner starts,
// some while it is stopped); then every projection is rebuilt from position 0 and must hold
// exactly the live documents (keys, versions, JSON). The live documents must also equal the states
// the workload folded itself.
func TestRebuildEqualsLive(t *testing.T) {
	for i, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			b := bk.open(t)
			seed := uint64(20250601 + i)
			t.Logf("seed %d", seed)
			w := newWorkload(t, b.store, seed)
			w.run(150) // caught up in pages when the runner starts
			r, stop := runRunner(t, b, projections.All()...)
			waitFor(t, r, w.last.GlobalPosition)
			w.run(200) // projected live, event by event
			waitFor(t, r, w.last.GlobalPosition)
			w.run(20) // some of it perhaps, before the stop
			stop()
			w.run(100) // caught up after a restart
			r, stop = runRunner(t, b, projections.All()...)
			waitFor(t, r, w.last.GlobalPosition)
			w.run(200)
			waitFor(t, r, w.last.GlobalPosition)
			stop()
			t.Logf("%d commands accepted (%d events), %d rejected", w.accepted, w.events, w.rejected)
			require.Greater(t, w.accepted, 400, "the workload must mostly succeed")

			live := map[string][]projections.Doc{}
			for _, p := range projections.All() {
				live[p.Name()] = dump(t, b.docs, p.Name())
			}
			requireExpectedStates(t, w, live)
			requireScriptLog(t, w, live[projections.ScriptLog])
			requireAccess(t, w, b, live[projections.Access])

			for _, p := range projections.All() {
				stats, err := projections.Rebuild(context.Background(), b.store, b.docs, p, nil)
				require.NoError(t, err)
				require.EqualValues(t, w.events, stats.Events)
				requireSameDocs(t, p.Name(), live[p.Name()], dump(t, b.docs, p.Name()))
			}
		})
	}
}

// requireExpectedStates compares the state projections with the workload's own states.
func requireExpectedStates(t *testing.T, w *workload, live map[string][]projections.Doc) {
	t.Helper()
	for projection, states := range w.expected() {
		require.NotEmpty(t, states, projection)
		docs := map[string]projections.Doc{}
		for _, d := range live[projection] {
			if !strings.HasPrefix(d.Key, "#") { // app-scoped index documents
				docs[d.Key] = d
			}
		}
		require.Len(t, docs, len(states), projection)
		for key, state := range states {
			d, ok := docs[key]
			require.True(t, ok, "%s %s missing", projection, key)
			want, err := json.Marshal(state)
			require.NoError(t, err)
			require.JSONEq(t, string(want), string(d.Data), "%s %s", projection, key)
			var v struct{ Version int64 }
			require.NoError(t, json.Unmarshal(want, &v))
			require.Equal(t, v.Version, d.Version, "%s %s: document version is the stream version", projection, key)
		}
	}
}

// requireAccess compares the access projection with the workload's own workspaces and
// resources, and reads every user's memberships back.
func requireAccess(t *testing.T, w *workload, b backend, docs []projections.Doc) {
	t.Helper()
	require.Positive(t, w.unknownLogins)
	var deleted, shared, sessions, tokens int
	for _, ws := range w.spaces {
		if ws.Deleted {
			deleted++
		}
		if len(ws.Members) > 1 {
			shared++
		}
	}
	for _, u := range w.users {
		sessions += len(u.Sessions)
		tokens += len(u.Tokens)
	}
	require.Positive(t, deleted, "no workspace deleted")
	require.Positive(t, shared, "no workspace with several members")
	require.Positive(t, sessions, "no live sessions")
	require.Positive(t, tokens, "no tokens")
	t.Logf("%d users (%d live sessions, %d tokens), %d workspaces (%d deleted, %d shared)",
		len(w.users), sessions, tokens, len(w.spaces), deleted, shared)

	want, memberships := w.expectedAccess()
	got := map[string]string{}
	for _, d := range docs {
		got[d.Key] = string(d.Data)
	}
	require.ElementsMatch(t, slices.Collect(maps.Keys(want)), slices.Collect(maps.Keys(got)))
	for key, data := range want {
		raw, err := json.Marshal(data)
		require.NoError(t, err)
		require.JSONEq(t, string(raw), got[key], key)
	}
	for _, u := range w.users {
		ms, err := projections.ReadMemberships(context.Background(), b.docs, u.ID)
		require.NoError(t, err)
		require.Equal(t, memberships[u.ID], ms, u.ID)
	}
}

// requireScriptLog checks that every script event has its log entry, with a diff exactly when
// the text changed.
func requireScriptLog(t *testing.T, w *workload, docs []projections.Doc) {
	t.Helper()
	scriptEvents := 0
	for _, s := range w.scripts {
		scriptEvents += int(s.Version)
	}
	var entries []projections.ScriptChange
	for _, d := range docs {
		if !strings.Contains(d.Key, "/") {
			continue // internal script state
		}
		var c projections.ScriptChange
		require.NoError(t, json.Unmarshal(d.Data, &c))
		require.Equal(t, projections.ScriptLogKey(c.AppID, c.Time, mustUUID(t, c.EventID)), d.Key)
		entries = append(entries, c)
	}
	require.Len(t, entries, scriptEvents)
	kinds := map[string]int{}
	for _, c := range entries {
		kinds[c.Kind]++
		texts := w.texts[c.ScriptID]
		before := ""
		if c.Version > 1 {
			before = texts[c.Version-2]
		}
		require.Equal(t, before != texts[c.Version-1], c.UnifiedDiff != "", "%s v%d (%s)", c.ScriptID, c.Version, c.Kind)
		require.Contains(t, []string{"ada", "bob", "cy"}, c.Author)
		if c.Kind == projections.ChangeCreated {
			require.True(t, strings.HasPrefix(c.UnifiedDiff, "--- /dev/null"), c.UnifiedDiff)
		}
	}
	for _, k := range []string{projections.ChangeCreated, projections.ChangeTextChanged, projections.ChangeRenamed, projections.ChangeRestored} {
		require.Positive(t, kinds[k], "no %s entries: %v", k, kinds)
	}
}
