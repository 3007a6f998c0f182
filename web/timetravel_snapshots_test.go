package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
)

// appendSteps records more dispatches on a session that has not ended, as the runtime would.
func appendSteps(t *testing.T, b apiBundle, id string, dispatches []domain.SessionActionDispatched) {
	t.Helper()
	ctx := context.Background()
	stream := domain.StreamSession(id)
	envs, err := b.store.ReadStream(ctx, stream, 1, 0)
	require.NoError(t, err)
	s := &domain.RuntimeSession{}
	for _, env := range envs {
		e, err := domain.Decode(env.Type, env.SchemaVersion, env.Data)
		require.NoError(t, err)
		s.Apply(e)
	}
	evs, err := s.Decide(domain.RecordDispatches{Dispatches: dispatches}, domain.Env{Now: time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC), Actor: "alice"})
	require.NoError(t, err)
	data := make([]eventstore.EventData, len(evs))
	for i, e := range evs {
		typ, raw, ver, err := domain.Encode(e)
		require.NoError(t, err)
		data[i] = eventstore.EventData{Type: typ, Data: raw, SchemaVersion: ver, Actor: "alice"}
	}
	_, err = b.store.Append(ctx, stream, eventstore.Exact(int64(len(envs))), data)
	require.NoError(t, err)
}

// ttDispatch is one recorded step to build: its action type and payload and the reducer versions.
type ttDispatch struct {
	typ, payload string
	page, app    domain.ScriptRef
}

func ttDispatches(first int64, ds []ttDispatch) []domain.SessionActionDispatched {
	t0 := time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC)
	out := make([]domain.SessionActionDispatched, len(ds))
	for i, d := range ds {
		step := first + int64(i)
		out[i] = domain.SessionActionDispatched{
			Step:        step,
			Action:      domain.SessionAction{Type: d.typ, Payload: json.RawMessage(cmpOr(d.payload, `{}`))},
			PageReducer: d.page, AppReducer: d.app,
			Time: t0.Add(time.Duration(step) * time.Second).UnixMilli(), Seed: uint64(step),
		}
	}
	return out
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// stepsOf lists the steps of every page of path (following nextCursor).
func stepsOf(t *testing.T, c *client, path string) []int64 {
	t.Helper()
	steps := []int64{}
	next := path
	for pages := 0; next != ""; pages++ {
		require.Less(t, pages, 50, "paging does not end")
		var p struct {
			Items      []ttStep
			NextCursor string
		}
		c.get(next).into(http.StatusOK, &p)
		for _, s := range p.Items {
			steps = append(steps, s.Step)
		}
		next = ""
		if p.NextCursor != "" {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			next = path + sep + "cursor=" + url.QueryEscape(p.NextCursor)
		}
	}
	return steps
}

const (
	// ttPathPageReducer changes different parts of the page state by action type; addItem
	// throws once items is null. ttPathAppReducer changes the app state on login only (a reducer
	// must return a state: the session starts with {}).
	ttPathPageReducer = `function reducer(state = { user: { name: 'a' }, items: [] }, action) {
		const v = action.payload && action.payload.v;
		switch (action.type) {
		case 'setName': return { ...state, user: { ...state.user, name: v } };
		case 'addItem': return { ...state, items: [...state.items, v] };
		case 'setItem0': return { ...state, items: [v, ...state.items.slice(1)] };
		case 'clearItems': return { ...state, items: null };
		default: return state;
		}
	}`
	ttPathAppReducer = `function reducer(state, action) {
		return action.type === 'login' ? { user: action.payload.v } : state;
	}`
)

// TestTimeTravelActionsByPath: ?path= keeps the steps that changed the state at the path, below it
// or above it, alone and with ?type=, paginated; a bad path is a 400.
func TestTimeTravelActionsByPath(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		appID := createApp(t, c, "Paths")
		page := domain.ScriptRef{ScriptID: createKindScript(t, c, appID, "page_reducer", ttPathPageReducer), Version: 1}
		app := domain.ScriptRef{ScriptID: createKindScript(t, c, appID, "app_reducer", ttPathAppReducer), Version: 1}
		d := func(typ, payload string) ttDispatch {
			return ttDispatch{typ: typ, payload: payload, page: page, app: app}
		}
		id := recordSession(t, b, domain.StartRuntimeSession{
			AppID: appID, PageID: "p1", Mode: domain.SessionPreview, PageReducer: page, AppReducer: app,
			InitialState: domain.SessionState{Page: json.RawMessage(`{"user":{"name":"a"},"items":[]}`), App: json.RawMessage(`{}`)},
		}, ttDispatches(1, []ttDispatch{
			d("setName", `{"v":"b"}`), // 1: /user/name
			d("addItem", `{"v":1}`),   // 2: /items/0 added
			d("addItem", `{"v":2}`),   // 3: /items/1 added
			d("noop", ""),             // 4: nothing
			d("setItem0", `{"v":9}`),  // 5: /items/0 changed
			d("login", `{"v":"x"}`),   // 6: the app state, from undefined
			d("setName", `{"v":"b"}`), // 7: the same name: nothing
			d("clearItems", ""),       // 8: /items replaced by null
			d("addItem", `{"v":3}`),   // 9: throws: nothing
			d("setName", `{"v":"c"}`), // 10: /user/name
			d("login", `{"v":"x"}`),   // 11: the same user: nothing
		}), false)
		base := "/api/sessions/" + id + "/actions"

		for _, tc := range []struct {
			query string
			want  []int64
		}{
			{"path=page/items/0", []int64{2, 5, 8}},
			{"path=page/items", []int64{2, 3, 5, 8}},
			{"path=page/items/1", []int64{3, 8}},
			{"path=page/user", []int64{1, 10}},
			{"path=page/user/name", []int64{1, 10}},
			{"path=page/user/name/first", []int64{1, 10}},
			{"path=page", []int64{1, 2, 3, 5, 8, 10}},
			{"path=app", []int64{6}},
			{"path=app/user", []int64{6}},
			{"path=page/nothing", []int64{}},
			{"path=page/us", []int64{}},
			{"path=page/a~1b~0", []int64{}},
			{"path=" + url.QueryEscape("page/items/0") + "&limit=1", []int64{2, 5, 8}},
			{"path=page/items&limit=2", []int64{2, 3, 5, 8}},
			{"path=page/items/0&type=addItem", []int64{2}},
			{"path=page/user&type=setName", []int64{1, 10}},
			{"path=page/user&type=addItem", []int64{}},
			{"type=setName", []int64{1, 7, 10}},
			{"", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		} {
			require.Equal(t, tc.want, stepsOf(t, c, base+"?"+tc.query), tc.query)
		}

		var steps struct{ Items []ttStep }
		c.get(base+"?path=page/items/0").into(http.StatusOK, &steps)
		require.Len(t, steps.Items, 3)
		require.Equal(t, "clearItems", steps.Items[2].Action.Type, "the steps are the recorded ones")

		for _, q := range []string{"path=", "path=pag", "path=pages", "path=/page", "path=user/name", "path=page~1", "path=page/a~2", "path=page/a~", "path=" + strings.Repeat("a", 600), "path=page/" + strings.Repeat("a", 510)} {
			p := c.get(base+"?"+q).problem(http.StatusBadRequest, "invalid_path")
			require.Equal(t, "path", p["path"], q)
		}
		c.get("/api/sessions/no-such-session/actions?path=page").problem(http.StatusNotFound, "session_not_found")
	})
}

// TestTimeTravelSnapshotsFollowAGrowingSession: state, diff and ?path= answers stay those of a
// full replay when the session grows after it was read (the cache extends its snapshots), with
// and without skips, across the snapshot interval.
func TestTimeTravelSnapshotsFollowAGrowingSession(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		appID := createApp(t, c, "Growing")
		pageID := createKindScript(t, c, appID, "page_reducer", ttPageReducerV1)
		c.put("/api/scripts/"+pageID+"/text", map[string]any{"expectedVersion": 1, "text": ttPageReducerV2}).ok(http.StatusOK)
		app := domain.ScriptRef{ScriptID: createKindScript(t, c, appID, "app_reducer", ttAppReducer), Version: 1}
		v1, v2 := domain.ScriptRef{ScriptID: pageID, Version: 1}, domain.ScriptRef{ScriptID: pageID, Version: 2}

		// The model: inc adds 1 under version 1 and 2 under version 2; every step counts as an
		// action; a skipped step does nothing.
		var recorded []ttDispatch
		add := func(n int, version domain.ScriptRef) []ttDispatch {
			var ds []ttDispatch
			for i := range n {
				typ := "inc"
				if (len(recorded)+i)%3 == 2 {
					typ = "other"
				}
				ds = append(ds, ttDispatch{typ: typ, page: version, app: app})
			}
			recorded = append(recorded, ds...)
			return ds
		}
		want := func(n int64, skip []int64) (count, actions int64) {
			for i, d := range recorded[:n] {
				if slices.Contains(skip, int64(i)+1) {
					continue
				}
				actions++
				if d.typ == "inc" {
					count += d.page.Version
				}
			}
			return count, actions
		}
		id := recordSession(t, b, domain.StartRuntimeSession{
			AppID: appID, PageID: "p1", Mode: domain.SessionPreview, PageReducer: v1, AppReducer: app,
			InitialState: domain.SessionState{Page: json.RawMessage(`{"count": 0}`)},
		}, ttDispatches(1, add(5, v1)), false)
		base := "/api/sessions/" + id

		check := func(t *testing.T, steps []int64, skips [][]int64) {
			t.Helper()
			for _, skip := range skips {
				q := ""
				if len(skip) > 0 {
					parts := make([]string, len(skip))
					for i, s := range skip {
						parts[i] = strconv.FormatInt(s, 10)
					}
					q = "&skip=" + strings.Join(parts, ",")
				}
				for _, n := range steps {
					var st struct {
						ttState
						Skipped []int64 `json:"skipped"`
					}
					c.get(base+"/state?step="+strconv.FormatInt(n, 10)+q).into(http.StatusOK, &st)
					count, actions := want(n, skip)
					label := fmt.Sprintf("step %d skip %v", n, skip)
					require.Equal(t, n, st.Step, label)
					require.NotNil(t, st.Page, label)
					require.Equal(t, count, st.Page.Count, label)
					if actions == 0 {
						require.Nil(t, st.App, label)
					} else {
						require.NotNil(t, st.App, label)
						require.Equal(t, actions, st.App.Actions, label)
					}
					var skipped []int64
					for _, s := range skip {
						if s <= n {
							skipped = append(skipped, s)
						}
					}
					slices.Sort(skipped)
					require.Equal(t, skipped, st.Skipped, label)
					require.False(t, st.Diverged, label)
				}
			}
		}
		incs := func() []int64 {
			out := []int64{}
			for i, d := range recorded {
				if d.typ == "inc" {
					out = append(out, int64(i)+1)
				}
			}
			return out
		}

		check(t, []int64{0, 1, 3, 5}, [][]int64{nil, {2}, {1, 4}})
		require.Equal(t, incs(), stepsOf(t, c, base+"/actions?path=page/count"))
		require.Equal(t, []int64{1, 2, 3, 4, 5}, stepsOf(t, c, base+"/actions?path=app"))

		// Grow past the snapshot interval (100) in two appends, reading in between.
		appendSteps(t, b, id, ttDispatches(6, add(60, v2)))
		check(t, []int64{5, 6, 40, 65}, [][]int64{nil, {3, 64}})
		require.Equal(t, incs(), stepsOf(t, c, base+"/actions?path=page/count&limit=7"))
		appendSteps(t, b, id, ttDispatches(66, add(90, v2)))
		require.EqualValues(t, 155, c.get(base).ok(http.StatusOK)["steps"])
		check(t, []int64{0, 5, 65, 99, 100, 101, 150, 155}, [][]int64{nil, {1}, {3, 120}, {101}, {150, 155}, {100, 2}})
		require.Equal(t, incs(), stepsOf(t, c, base+"/actions?path=page/count&limit=40"))
		require.Len(t, stepsOf(t, c, base+"/actions?path=app/actions"), 155)
		require.Equal(t, []int64{}, stepsOf(t, c, base+"/actions?path=page/count&type=other"))

		type change struct{ Path, Kind string }
		var d struct {
			Page, App []change
			Skipped   []int64
		}
		c.get(base+"/diff?from=100&to=155&skip=120").into(http.StatusOK, &d)
		require.Equal(t, []change{{"/count", "changed"}}, d.Page)
		require.Equal(t, []change{{"/actions", "changed"}}, d.App, "steps 100 and 155 are both inc")
		require.Equal(t, []int64{120}, d.Skipped)
		d.Skipped = nil // absent when empty
		c.get(base+"/diff?from=155&to=0").into(http.StatusOK, &d)
		require.Equal(t, []change{{"", "removed"}}, d.App)
		require.Empty(t, d.Skipped)
	})
}

// TestTimeTravelSkipsAStepThatCannotReplay: a skipped step whose script cannot run does not stop
// the replay (the cached snapshots, which replay every step, give way to a replay with the skip).
func TestTimeTravelSkipsAStepThatCannotReplay(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	c := b.c
	appID, other := createApp(t, c, "Mine"), createApp(t, c, "Theirs")
	page := domain.ScriptRef{ScriptID: createKindScript(t, c, appID, "page_reducer", ttPageReducerV1), Version: 1}
	foreign := domain.ScriptRef{ScriptID: createKindScript(t, c, other, "page_reducer", ttPageReducerV1), Version: 1}
	app := domain.ScriptRef{ScriptID: createKindScript(t, c, appID, "app_reducer", ttAppReducer), Version: 1}
	id := recordSession(t, b, domain.StartRuntimeSession{
		AppID: appID, PageID: "p1", Mode: domain.SessionPreview, PageReducer: page, AppReducer: app,
	}, ttDispatches(1, []ttDispatch{
		{typ: "inc", page: page, app: app},
		{typ: "inc", page: foreign, app: app},
		{typ: "inc", page: page, app: app},
	}), false)
	base := "/api/sessions/" + id

	var st ttState
	c.get(base+"/state?step=1").into(http.StatusOK, &st)
	require.Equal(t, int64(1), st.Page.Count)
	c.get(base+"/state?step=3").problem(http.StatusConflict, "replay_failed")
	c.get(base+"/actions?path=page").problem(http.StatusConflict, "replay_failed")
	c.get(base+"/state?step=3&skip=2").into(http.StatusOK, &st)
	require.Equal(t, int64(2), st.Page.Count)
	require.Equal(t, int64(2), st.App.Actions)
	c.get(base+"/state?step=1").into(http.StatusOK, &st)
	require.Equal(t, int64(1), st.Page.Count, "a failed replay leaves the cached snapshots usable")
}
