package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
	c.post("/api/sessions/"+id+"/rerun", map[string]any{"pageReducer": ttPageReducerV2}).problem(http.StatusConflict, "replay_failed")
}

// streamVersion is the number of events of a stream.
func streamVersion(t *testing.T, b apiBundle, stream string) int {
	t.Helper()
	envs, err := b.store.ReadStream(context.Background(), stream, 1, 0)
	require.NoError(t, err)
	return len(envs)
}

// TestTimeTravelEditsWithoutRewriting: skips, reruns with an edited reducer, and export and
// import, none of which changes the recorded session or its scripts.
func TestTimeTravelEditsWithoutRewriting(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		appID := createApp(t, c, "Counter")
		id, pageReducer, appReducer := counterSession(t, b, appID)
		base := "/api/sessions/" + id
		sessionStream, scriptStreams := domain.StreamSession(id), []string{domain.StreamScript(pageReducer), domain.StreamScript(appReducer)}
		before := map[string]int{}
		for _, s := range append([]string{sessionStream}, scriptStreams...) {
			before[s] = streamVersion(t, b, s)
		}

		t.Run("skip", func(t *testing.T) {
			c := c.with(t)
			type skipState struct {
				ttState
				Skipped []int64 `json:"skipped"`
			}
			// Steps: inc, inc, other, inc (+2), inc (+2).
			for _, tc := range []struct {
				query          string
				count, actions int64
				skipped        []int64
			}{
				{query: "step=5&skip=1,4", count: 3, actions: 3, skipped: []int64{1, 4}},
				{query: "step=5&skip=4,1,4", count: 3, actions: 3, skipped: []int64{1, 4}},
				{query: "step=2&skip=1,4", count: 1, actions: 1, skipped: []int64{1}},
				{query: "step=5&skip=3", count: 6, actions: 4, skipped: []int64{3}},
				{query: "step=5", count: 6, actions: 5},
			} {
				var st skipState
				c.get(base+"/state?"+tc.query).into(http.StatusOK, &st)
				require.NotNil(t, st.Page, tc.query)
				require.Equal(t, tc.count, st.Page.Count, tc.query)
				require.NotNil(t, st.App, tc.query)
				require.Equal(t, tc.actions, st.App.Actions, tc.query)
				require.Equal(t, tc.skipped, st.Skipped, tc.query)
				require.False(t, st.Diverged, tc.query)
			}
			var st skipState
			c.get(base+"/state?step=1&skip=1").into(http.StatusOK, &st)
			require.Equal(t, int64(0), st.Page.Count, "the initial page state stays")
			require.Nil(t, st.App, "the app state stays undefined")

			type change struct{ Path, Kind string }
			var d struct {
				Page, App []change
				Skipped   []int64
			}
			c.get(base+"/diff?from=0&to=5&skip=1,2,4,5").into(http.StatusOK, &d)
			require.Empty(t, d.Page, "only the non-inc step ran")
			require.Equal(t, []change{{"", "added"}}, d.App)
			require.Equal(t, []int64{1, 2, 4, 5}, d.Skipped)

			many := strings.TrimSuffix(strings.Repeat("1,", 1001), ",")
			for _, q := range []string{"skip=0", "skip=6", "skip=a", "skip=1,,2", "skip=1.5", "skip=-1", "skip=" + many} {
				c.get(base+"/state?step=1&"+q).problem(http.StatusBadRequest, "")
				c.get(base+"/diff?from=0&to=1&"+q).problem(http.StatusBadRequest, "")
			}
		})

		t.Run("rerun", func(t *testing.T) {
			c := c.with(t)
			type outcome struct {
				State struct {
					Page, App *struct{ Count, Actions int64 }
				}
				Error string
			}
			type rerun struct {
				Differs          bool
				Step, Steps      int64
				Original, Edited *outcome
			}
			// Version 1 everywhere differs from the recording at step 4, where version 2 ran.
			var got rerun
			c.post(base+"/rerun", map[string]any{"pageReducer": ttPageReducerV1}).into(http.StatusOK, &got)
			require.True(t, got.Differs)
			require.Equal(t, int64(4), got.Step)
			require.Equal(t, int64(5), got.Steps)
			require.Equal(t, int64(4), got.Original.State.Page.Count)
			require.Equal(t, int64(3), got.Edited.State.Page.Count)
			require.Equal(t, int64(4), got.Edited.State.App.Actions, "the app reducer is the recorded one")

			got = rerun{}
			c.post(base+"/rerun", map[string]any{"pageReducer": ttPageReducerV2}).into(http.StatusOK, &got)
			require.True(t, got.Differs)
			require.Equal(t, int64(1), got.Step)
			require.Equal(t, int64(1), got.Original.State.Page.Count)
			require.Equal(t, int64(2), got.Edited.State.Page.Count)

			// Adds what each recorded version added, so no step differs.
			same := `function reducer(state = { count: 0 }, action) {
				if (action.type !== 'inc') return state;
				return { ...state, count: state.count + (action.payload.n >= 3 ? 2 : 1) };
			}`
			got = rerun{}
			c.post(base+"/rerun", map[string]any{"pageReducer": same}).into(http.StatusOK, &got)
			require.False(t, got.Differs)
			require.Zero(t, got.Step)
			require.Nil(t, got.Original)
			require.Equal(t, int64(5), got.Steps)

			got = rerun{}
			c.post(base+"/rerun", map[string]any{"pageReducer": `function reducer() { throw new Error('boom'); }`}).into(http.StatusOK, &got)
			require.True(t, got.Differs)
			require.Equal(t, int64(1), got.Step)
			require.Contains(t, got.Edited.Error, "boom")
			require.Empty(t, got.Original.Error)
			require.Equal(t, int64(0), got.Edited.State.Page.Count, "a failed step keeps the state")

			p := c.post(base+"/rerun", map[string]any{"pageReducer": "function reducer(state, action) {"}).problem(http.StatusUnprocessableEntity, "compile_error")
			require.Equal(t, "/pageReducer", p["path"])
			c.post(base+"/rerun", map[string]any{}).problem(http.StatusUnprocessableEntity, "required")
			c.post(base+"/rerun", map[string]any{"pageReducer": strings.Repeat("x", domain.MaxScriptText+1)}).problem(http.StatusUnprocessableEntity, "too_large")
			c.post(base+"/rerun", `{"pageReducer": 1}`).problem(http.StatusBadRequest, "wrong_type")
			c.post("/api/sessions/no-such-session/rerun", map[string]any{"pageReducer": ttPageReducerV1}).problem(http.StatusNotFound, "session_not_found")
		})

		t.Run("export and import", func(t *testing.T) {
			c := c.with(t)
			r := c.get(base + "/export")
			require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
			require.Equal(t, "application/x-ndjson", r.header.Get("Content-Type"))
			require.Contains(t, r.header.Get("Content-Disposition"), "attachment")
			lines := strings.Split(strings.TrimSuffix(string(r.raw), "\n"), "\n")
			require.Len(t, lines, 7, "started, five steps, ended")
			var types []string
			for _, l := range lines {
				var line struct {
					Type  string
					Data  map[string]any
					Time  time.Time
					Actor string
				}
				require.NoError(t, json.Unmarshal([]byte(l), &line))
				require.Equal(t, "alice", line.Actor)
				require.False(t, line.Time.IsZero())
				require.NotEmpty(t, line.Data)
				types = append(types, line.Type)
			}
			require.Equal(t, "session.started", types[0])
			require.Equal(t, "session.action_dispatched", types[3])
			require.Equal(t, "session.ended", types[6])

			ir := c.post("/api/apps/"+appID+"/sessions/import", string(r.raw))
			newID := ir.ok(http.StatusCreated)["id"].(string)
			require.NotEqual(t, id, newID)
			require.Equal(t, "/api/sessions/"+newID, ir.header.Get("Location"))
			got := c.get("/api/sessions/" + newID).ok(http.StatusOK)
			orig := c.get(base).ok(http.StatusOK)
			require.Equal(t, appID, got["appId"])
			for _, k := range []string{"pageId", "mode", "user", "started", "steps", "ended", "pageReducer", "appReducer", "version"} {
				require.Equal(t, orig[k], got[k], k)
			}
			for step := 0; step <= 5; step++ {
				q := "/state?step=" + strconv.Itoa(step)
				want := c.get(base + q)
				have := c.get("/api/sessions/" + newID + q)
				require.Equal(t, http.StatusOK, have.status, "body: %s", have.raw)
				require.JSONEq(t, string(want.raw), string(have.raw), "step %d", step)
			}
			var steps struct{ Items []ttStep }
			c.get("/api/sessions/"+newID+"/actions").into(http.StatusOK, &steps)
			require.Len(t, steps.Items, 5)
			require.EqualValues(t, 103, steps.Items[3].DurationMicros)

			// Into another app: the session is that app's, but its scripts are not, so it does not replay.
			other := createApp(t, c, "Other")
			elsewhere := c.post("/api/apps/"+other+"/sessions/import", string(r.raw)).ok(http.StatusCreated)["id"].(string)
			require.Equal(t, other, c.get("/api/sessions/" + elsewhere).ok(http.StatusOK)["appId"])
			c.get("/api/sessions/"+elsewhere+"/state?step=1").problem(http.StatusConflict, "replay_failed")

			without := func(i int) []string { return append(append([]string{}, lines[:i]...), lines[i+1:]...) }
			for _, tc := range []struct {
				name  string
				lines []string
				line  string
			}{
				{"no start", without(0), "Line 1:"},
				{"a missing step", without(1), "Line 2:"},
				{"a repeated step", append(append([]string{}, lines[:3]...), lines[2:]...), "Line 4:"},
				{"a second start", append([]string{lines[0]}, lines...), "Line 2:"},
				{"an event after the end", append(append([]string{}, lines...), lines[1]), "Line 8:"},
				{"another stream's event", append([]string{lines[0], `{"type":"app.created","data":{}}`}, lines[1:]...), "Line 2:"},
				{"not JSON", append([]string{lines[0], lines[1], "{"}, lines[2:]...), "Line 3:"},
				{"an unknown field", append([]string{lines[0], `{"type":"session.ended","data":{},"extra":1}`}, lines[1:]...), "Line 2:"},
				{"an invalid step", append([]string{lines[0], `{"type":"session.action_dispatched","data":{"step":1,"action":{"type":""}}}`}, lines[1:]...), "Line 2:"},
			} {
				p := c.post("/api/apps/"+appID+"/sessions/import", strings.Join(tc.lines, "\n")).problem(http.StatusBadRequest, "invalid_line")
				require.Contains(t, p["detail"], tc.line, tc.name)
			}
			c.post("/api/apps/"+appID+"/sessions/import", "\n\n").problem(http.StatusBadRequest, "empty_body")

			// More events than one append carries are appended in batches.
			var step struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			require.NoError(t, json.Unmarshal([]byte(lines[1]), &step))
			long := []string{lines[0]}
			const n = eventstore.MaxBatchEvents + 100
			for i := 1; i <= n; i++ {
				step.Data["step"] = i
				raw, err := json.Marshal(step)
				require.NoError(t, err)
				long = append(long, string(raw))
			}
			longID := c.post("/api/apps/"+appID+"/sessions/import", strings.Join(long, "\n")+"\n").ok(http.StatusCreated)["id"].(string)
			got = c.get("/api/sessions/" + longID).ok(http.StatusOK)
			require.EqualValues(t, n, got["steps"])
			require.EqualValues(t, n+1, got["version"])
			require.Equal(t, false, got["ended"])
			c.post("/api/apps/no-such-app/sessions/import", string(r.raw)).problem(http.StatusNotFound, "app_not_found")
		})

		for s, v := range before {
			require.Equal(t, v, streamVersion(t, b, s), "%s changed", s)
		}
	})
}
