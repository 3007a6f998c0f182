package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/projections"
)

// recordSession appends a runtime session to the store as the runtime would (nothing records
// sessions over the API yet): started with start, then the dispatches, then ended if end. It
// waits until the access projection knows the session's app, and returns the session id.
func recordSession(t *testing.T, b apiBundle, start domain.StartRuntimeSession, dispatches []domain.SessionActionDispatched, end bool) string {
	t.Helper()
	ctx := context.Background()
	start.SessionID = uuid.NewString()
	env := domain.Env{Now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Actor: "alice"}
	s := &domain.RuntimeSession{}
	var all []domain.Event
	for _, c := range []domain.SessionCommand{start, domain.RecordDispatches{Dispatches: dispatches}} {
		evs, err := s.Decide(c, env)
		require.NoError(t, err)
		for _, e := range evs {
			s.Apply(e)
		}
		all = append(all, evs...)
	}
	if end {
		all = append(all, &domain.SessionEnded{At: env.Now.Add(time.Minute)})
	}
	data := make([]eventstore.EventData, len(all))
	for i, e := range all {
		typ, raw, ver, err := domain.Encode(e)
		require.NoError(t, err)
		data[i] = eventstore.EventData{Type: typ, Data: raw, SchemaVersion: ver, Actor: "alice"}
	}
	stream := domain.StreamSession(start.SessionID)
	_, err := b.store.Append(ctx, stream, eventstore.NoStream(), data)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := projections.ReadOwner(ctx, b.docs, stream)
		return err == nil
	}, 10*time.Second, 10*time.Millisecond, "the access projection never saw %s", stream)
	return start.SessionID
}

const (
	// ttPageReducerV1 counts "inc" actions; V2 counts each twice, so a state shows which version ran.
	ttPageReducerV1 = `function reducer(state = { count: 0 }, action) {
		return action.type === 'inc' ? { ...state, count: state.count + 1 } : state;
	}`
	ttPageReducerV2 = `function reducer(state = { count: 0 }, action) {
		return action.type === 'inc' ? { ...state, count: state.count + 2 } : state;
	}`
	ttAppReducer = `function reducer(state = { actions: 0 }, action) {
		return { ...state, actions: state.actions + 1, last: action.type };
	}`
)

func createKindScript(t *testing.T, c *client, appID, kind, text string) string {
	t.Helper()
	return c.post("/api/apps/"+appID+"/scripts", map[string]any{"name": kind, "kind": kind, "text": text}).ok(http.StatusCreated)["id"].(string)
}

// counterSession records a counter session: steps inc, inc, other with page reducer version 1,
// then inc, inc with version 2, so the page counts 1, 2, 2, 4, 6.
func counterSession(t *testing.T, b apiBundle, appID string) (id string, pageReducer, appReducer string) {
	t.Helper()
	c := b.c
	pageReducer = createKindScript(t, c, appID, "page_reducer", ttPageReducerV1)
	appReducer = createKindScript(t, c, appID, "app_reducer", ttAppReducer)
	c.put("/api/scripts/"+pageReducer+"/text", map[string]any{"expectedVersion": 1, "text": ttPageReducerV2}).ok(http.StatusOK)
	page := c.post("/api/apps/"+appID+"/pages", map[string]any{"name": "Home"}).ok(http.StatusCreated)["id"].(string)

	t0 := time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC)
	appRef := domain.ScriptRef{ScriptID: appReducer, Version: 1}
	var steps []domain.SessionActionDispatched
	for i, typ := range []string{"inc", "inc", "other", "inc", "inc"} {
		v := int64(1)
		if i >= 3 {
			v = 2
		}
		steps = append(steps, domain.SessionActionDispatched{
			Step:           int64(i) + 1,
			Action:         domain.SessionAction{Type: typ, Payload: json.RawMessage(`{"n":` + strconv.Itoa(i) + `}`)},
			Source:         &domain.SessionSource{NodeID: "btn", Event: "onClick"},
			PageReducer:    domain.ScriptRef{ScriptID: pageReducer, Version: v},
			AppReducer:     appRef,
			Time:           t0.Add(time.Duration(i) * time.Second).UnixMilli(),
			Seed:           uint64(i),
			DurationMicros: int64(100 + i),
		})
	}
	id = recordSession(t, b, domain.StartRuntimeSession{
		AppID: appID, PageID: page, Mode: domain.SessionPreview,
		InitialState: domain.SessionState{Page: json.RawMessage(`{"count": 0}`)},
		PageReducer:  domain.ScriptRef{ScriptID: pageReducer, Version: 1}, AppReducer: appRef,
	}, steps, true)
	return id, pageReducer, appReducer
}

type ttStep struct {
	Step           int64 `json:"step"`
	Action         struct{ Type string }
	Source         *struct{ NodeID string }
	PageReducer    domain.ScriptRef `json:"pageReducer"`
	AppReducer     domain.ScriptRef `json:"appReducer"`
	Time           time.Time        `json:"time"`
	DurationMicros int64            `json:"durationMicros"`
	Error          string           `json:"error"`
}

type ttState struct {
	Step        int64 `json:"step"`
	Page        *struct{ Count int64 }
	App         *struct{ Actions int64 }
	PageReducer *domain.ScriptRef `json:"pageReducer"`
	AppReducer  *domain.ScriptRef `json:"appReducer"`
	Error       string            `json:"error"`
	Diverged    bool              `json:"diverged"`
}

func TestTimeTravelReadsARecordedSession(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		appID := createApp(t, c, "Counter")
		id, pageReducer, appReducer := counterSession(t, b, appID)
		base := "/api/sessions/" + id

		got := c.get(base).ok(http.StatusOK)
		require.Equal(t, id, got["id"])
		require.Equal(t, appID, got["appId"])
		require.Equal(t, "preview", got["mode"])
		require.Equal(t, "alice", got["user"])
		require.EqualValues(t, 5, got["steps"])
		require.Equal(t, true, got["ended"])
		require.Equal(t, "2026-01-02T03:04:05Z", got["started"])

		t.Run("actions", func(t *testing.T) {
			c := c.with(t)
			var all struct {
				Items      []ttStep
				NextCursor string
			}
			c.get(base+"/actions").into(http.StatusOK, &all)
			require.Len(t, all.Items, 5)
			require.Empty(t, all.NextCursor)
			for i, s := range all.Items {
				require.EqualValues(t, i+1, s.Step)
				require.Equal(t, appReducer, s.AppReducer.ScriptID)
				require.Equal(t, pageReducer, s.PageReducer.ScriptID)
				require.NotNil(t, s.Source)
				require.Equal(t, "btn", s.Source.NodeID)
				require.EqualValues(t, 100+i, s.DurationMicros)
			}
			require.Equal(t, "other", all.Items[2].Action.Type)
			require.EqualValues(t, 2, all.Items[3].PageReducer.Version)
			require.Equal(t, time.Date(2026, 1, 2, 3, 4, 8, 0, time.UTC), all.Items[2].Time.UTC())

			var steps []int64
			path := base + "/actions?type=inc&limit=2"
			for pages := 0; path != ""; pages++ {
				require.Less(t, pages, 3, "paging does not end")
				var p struct {
					Items      []ttStep
					NextCursor string
				}
				c.get(path).into(http.StatusOK, &p)
				require.LessOrEqual(t, len(p.Items), 2)
				for _, s := range p.Items {
					require.Equal(t, "inc", s.Action.Type)
					steps = append(steps, s.Step)
				}
				path = ""
				if p.NextCursor != "" {
					path = base + "/actions?type=inc&limit=2&cursor=" + url.QueryEscape(p.NextCursor)
				}
			}
			require.Equal(t, []int64{1, 2, 4, 5}, steps)

			var none struct{ Items []ttStep }
			c.get(base+"/actions?type=nope").into(http.StatusOK, &none)
			require.Empty(t, none.Items)
			require.NotNil(t, none.Items, "an empty page is [] not null")
			c.get(base+"/actions?limit=0").problem(http.StatusBadRequest, "invalid_limit")
		})

		t.Run("state", func(t *testing.T) {
			c := c.with(t)
			for _, tc := range []struct {
				step, count, actions int64
				pageVersion          int64 // 0: no reducer ran (step 0)
			}{
				{step: 0, count: 0, actions: 0},
				{step: 1, count: 1, actions: 1, pageVersion: 1},
				{step: 3, count: 2, actions: 3, pageVersion: 1},
				{step: 4, count: 4, actions: 4, pageVersion: 2},
				{step: 5, count: 6, actions: 5, pageVersion: 2},
			} {
				var st ttState
				c.get(base+"/state?step="+strconv.FormatInt(tc.step, 10)).into(http.StatusOK, &st)
				require.Equal(t, tc.step, st.Step)
				require.NotNil(t, st.Page, "step %d", tc.step)
				require.Equal(t, tc.count, st.Page.Count, "step %d", tc.step)
				require.Empty(t, st.Error)
				require.False(t, st.Diverged)
				if tc.pageVersion == 0 {
					require.Nil(t, st.App, "the initial app state is undefined")
					require.Nil(t, st.PageReducer)
					continue
				}
				require.NotNil(t, st.App)
				require.Equal(t, tc.actions, st.App.Actions, "step %d", tc.step)
				require.Equal(t, &domain.ScriptRef{ScriptID: pageReducer, Version: tc.pageVersion}, st.PageReducer)
				require.Equal(t, &domain.ScriptRef{ScriptID: appReducer, Version: 1}, st.AppReducer)
			}
		})

		t.Run("diff", func(t *testing.T) {
			c := c.with(t)
			type change struct{ Path, Kind string }
			var d struct {
				From, To  int64
				Page, App []change
			}
			c.get(base+"/diff?from=0&to=5").into(http.StatusOK, &d)
			require.Equal(t, int64(0), d.From)
			require.Equal(t, int64(5), d.To)
			require.Equal(t, []change{{"/count", "changed"}}, d.Page)
			require.Equal(t, []change{{"", "added"}}, d.App, "the app state starts undefined")

			c.get(base+"/diff?from=2&to=3").into(http.StatusOK, &d)
			require.Empty(t, d.Page, "step 3 is not an inc")
			require.Equal(t, []change{{"/actions", "changed"}, {"/last", "changed"}}, d.App)
		})

		t.Run("bad parameters", func(t *testing.T) {
			c := c.with(t)
			for _, q := range []string{"", "?step=", "?step=-1", "?step=abc", "?step=6", "?step=1.5"} {
				c.get(base+"/state"+q).problem(http.StatusBadRequest, "")
			}
			for _, q := range []string{"", "?from=0", "?to=1", "?from=-1&to=2", "?from=0&to=99", "?from=x&to=1"} {
				c.get(base+"/diff"+q).problem(http.StatusBadRequest, "")
			}
		})

		t.Run("access", func(t *testing.T) {
			c := c.with(t)
			c.get("/api/sessions/no-such-session").problem(http.StatusNotFound, "session_not_found")
			c.get("/api/sessions/no-such-session/state?step=0").problem(http.StatusNotFound, "session_not_found")

			c.as("tt-viewer").token() // an editor of the workspace, until demoted
			c.put("/api/workspaces/"+b.ws+"/members/tt-viewer", map[string]any{"role": "viewer"}).ok(http.StatusOK)
			c.as("tt-auditor").token()
			c.put("/api/workspaces/"+b.ws+"/members/tt-auditor", map[string]any{"role": "auditor"}).ok(http.StatusOK)
			c.as("tt-outsider").token()
			require.Equal(t, http.StatusNoContent, c.delete("/api/workspaces/"+b.ws+"/members/tt-outsider").status)

			for _, p := range []string{base, base + "/actions", base + "/state?step=1", base + "/diff?from=0&to=1"} {
				c.as("tt-viewer").get(p).problem(http.StatusForbidden, "forbidden")
				c.as("tt-outsider").get(p).problem(http.StatusNotFound, "")
				c.as("tt-auditor").get(p).ok(http.StatusOK)
			}
		})
	})
}

// TestTimeTravelRefusesScriptsOfAnotherApp: a session whose steps name another app's script
// cannot be replayed (its readers may not be allowed to see that app), but its start can.
func TestTimeTravelRefusesScriptsOfAnotherApp(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	c := b.c
	appID, other := createApp(t, c, "Mine"), createApp(t, c, "Theirs")
	foreign := createKindScript(t, c, other, "page_reducer", ttPageReducerV1)
	mine := createKindScript(t, c, appID, "app_reducer", ttAppReducer)
	ref, appRef := domain.ScriptRef{ScriptID: foreign, Version: 1}, domain.ScriptRef{ScriptID: mine, Version: 1}
	id := recordSession(t, b, domain.StartRuntimeSession{
		AppID: appID, PageID: "p1", Mode: domain.SessionPublished, PageReducer: ref, AppReducer: appRef,
	}, []domain.SessionActionDispatched{{Step: 1, Action: domain.SessionAction{Type: "inc"}, PageReducer: ref, AppReducer: appRef}}, false)

	var st ttState
	c.get("/api/sessions/"+id+"/state?step=0").into(http.StatusOK, &st)
	require.Nil(t, st.Page)
	c.get("/api/sessions/"+id+"/state?step=1").problem(http.StatusConflict, "replay_failed")
	c.get("/api/sessions/"+id+"/diff?from=0&to=1").problem(http.StatusConflict, "replay_failed")
}
