package projections_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/projections"
)

// workload issues random domain commands: each is decided against the state the workload keeps
// (folded from the events it appended), and the events, if any, are appended with the expected
// version. Rejected commands are counted and skipped; only domain rejections are allowed.
type workload struct {
	t     *testing.T
	rng   *rand.Rand
	store eventstore.Store
	env   domain.Env

	apps     []*domain.App
	trees    map[string]*domain.PageTree // by app id
	pages    []*domain.Page
	scripts  []*domain.Script
	texts    map[string][]string // script id -> text at each version (index version-1)
	schemas  []*domain.Schema
	sources  []*domain.DataSource
	queries  []*domain.Query
	users    []*domain.User // with sessions and tokens
	spaces   []*domain.Workspace
	accepted int
	rejected int
	events   int
	last     eventstore.Envelope
	// unknownLogins counts the refused logins of unknown usernames appended.
	unknownLogins int
}

func newWorkload(t *testing.T, store eventstore.Store, seed uint64) *workload {
	w := &workload{
		t: t, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), store: store,
		trees: map[string]*domain.PageTree{}, texts: map[string][]string{},
	}
	n := 0
	w.env = domain.Env{
		Now:   time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		NewID: func() string { n++; return fmt.Sprintf("id%05d", n) },
	}
	return w
}

// commit appends the events of a decision to stream and applies them to s.
func commit[S any](w *workload, stream string, s *S, version int64, apply func(*S, domain.Event), events []domain.Event, err error) bool {
	w.t.Helper()
	if err != nil {
		var de *domain.Error
		require.True(w.t, errors.As(err, &de), "decide on %s: not a domain rejection: %v", stream, err)
		w.rejected++
		return false
	}
	if len(events) == 0 {
		return false
	}
	data := make([]eventstore.EventData, len(events))
	for i, e := range events {
		typ, raw, sv, err := domain.Encode(e)
		require.NoError(w.t, err)
		data[i] = eventstore.EventData{Type: typ, Data: raw, SchemaVersion: sv, Actor: w.env.Actor}
	}
	res, err := w.store.Append(context.Background(), stream, eventstore.Exact(version), data)
	require.NoError(w.t, err, "append to %s", stream)
	for _, e := range events {
		apply(s, e)
	}
	w.accepted++
	w.events += len(events)
	w.last = res.Events[len(res.Events)-1]
	return true
}

func pick[T any](w *workload, xs []T) (T, bool) {
	var zero T
	if len(xs) == 0 {
		return zero, false
	}
	return xs[w.rng.IntN(len(xs))], true
}

func (w *workload) run(steps int) {
	for range steps {
		w.env.Actor = []string{"ada", "bob", "cy"}[w.rng.IntN(3)]
		w.env.Now = w.env.Now.Add(time.Second)
		if w.rng.IntN(100) < 15 {
			w.account()
			continue
		}
		switch r := w.rng.Float64(); {
		case len(w.apps) == 0 || r < 0.03:
			w.createApp()
		case r < 0.06:
			w.editApp()
		case r < 0.12 || len(w.pages) == 0:
			w.createPage()
		case r < 0.52:
			w.editPage()
		case r < 0.58:
			w.editTree()
		case r < 0.62 || len(w.scripts) == 0:
			w.createScript()
		case r < 0.80:
			w.editScript()
		case r < 0.86:
			w.schema()
		case r < 0.93:
			w.dataSource()
		default:
			w.query()
		}
	}
}

func (w *workload) createApp() {
	a := &domain.App{}
	id := w.env.NewID()
	ws := "ws1"
	if x, ok := pick(w, w.spaces); ok {
		ws = x.ID
	}
	evs, err := a.Decide(domain.CreateApp{AppID: id, Name: "App " + id, WorkspaceID: ws}, w.env)
	if commit(w, domain.StreamApp(id), a, 0, (*domain.App).Apply, evs, err) {
		w.apps = append(w.apps, a)
		w.trees[id] = &domain.PageTree{}
	}
}

func (w *workload) editApp() {
	a, _ := pick(w, w.apps)
	var c domain.AppCommand
	switch w.rng.IntN(5) {
	case 0, 1:
		c = domain.RenameApp{Name: fmt.Sprintf("Renamed %d", w.rng.IntN(100))}
	case 2, 3:
		c = domain.UpdateAppSettings{Settings: domain.AppSettings{
			FlowServiceURL: "https://flows.example.com",
			Theme:          map[string]string{"color.primary": fmt.Sprintf("#%06x", w.rng.IntN(1<<24))},
		}}
	default:
		c = domain.DeleteApp{}
	}
	evs, err := a.Decide(c, w.env)
	commit(w, domain.StreamApp(a.ID), a, a.Version, (*domain.App).Apply, evs, err)
}

func (w *workload) createPage() {
	a, _ := pick(w, w.apps)
	p := &domain.Page{}
	id := w.env.NewID()
	evs, err := p.Decide(domain.CreatePage{PageID: id, AppID: a.ID, Name: "Page " + id}, w.env)
	if !commit(w, domain.StreamPage(id), p, 0, (*domain.Page).Apply, evs, err) {
		return
	}
	w.pages = append(w.pages, p)
	tree := w.trees[a.ID]
	parent := ""
	if ids := slices.Sorted(maps.Keys(tree.Pages)); len(ids) > 0 && w.rng.IntN(2) == 0 {
		parent, _ = pick(w, ids)
	}
	evs, err = tree.Decide(domain.AddPage{PageID: id, Name: "Page " + id, ParentID: parent}, w.env)
	commit(w, domain.StreamPageTree(a.ID), tree, tree.Version, (*domain.PageTree).Apply, evs, err)
}

func (w *workload) editPage() {
	p, _ := pick(w, w.pages)
	nodes := slices.Sorted(maps.Keys(p.Nodes))
	node, _ := pick(w, nodes)
	other, _ := pick(w, nodes)
	typ := ""
	if n := p.Nodes[node]; n != nil {
		typ = n.Type
	}
	var c domain.PageCommand
	switch r := w.rng.IntN(100); {
	case r < 30:
		parent := other
		if w.rng.IntN(3) == 0 {
			parent = ""
		}
		c = domain.InsertNode{ParentID: parent, Type: []string{"Container", "Row", "Text", "Button", "TextInput", "Heading"}[w.rng.IntN(6)]}
	case r < 42:
		c = domain.MoveNode{NodeID: node, ParentID: other}
	case r < 48:
		c = domain.DeleteNode{NodeID: node}
	case r < 72:
		path, value := "label", fmt.Sprintf(`"Label %d"`, w.rng.IntN(1000))
		if typ == "Text" || typ == "Heading" {
			path, value = "text", fmt.Sprintf(`"Text %d"`, w.rng.IntN(1000))
		}
		c = domain.SetProp{NodeID: node, Path: path, Value: json.RawMessage(value)}
	case r < 84:
		c = domain.SetStyle{NodeID: node, Path: "color", Value: json.RawMessage(fmt.Sprintf(`"#%06x"`, w.rng.IntN(1<<24)))}
	case r < 92:
		s, ok := pick(w, w.scripts)
		b := domain.Binding{Kind: domain.BindingActions, Actions: []domain.QuickAction{{Type: "setState", Params: json.RawMessage(`{"path":"x","value":1}`)}}}
		if ok {
			b = domain.Binding{Kind: domain.BindingScript, ScriptID: s.ID}
		}
		c = domain.BindEvent{NodeID: node, Event: "onClick", Binding: b}
	case r < 95:
		c = domain.UnbindEvent{NodeID: node, Event: "onClick"}
	case r < 98:
		c = domain.RenamePage{Name: fmt.Sprintf("Page %d", w.rng.IntN(1000))}
	case r < 99:
		c = domain.SetPageState{InitialState: json.RawMessage(fmt.Sprintf(`{"count":%d}`, w.rng.IntN(10)))}
	default:
		c = domain.DeletePage{}
	}
	evs, err := p.Decide(c, w.env)
	commit(w, domain.StreamPage(p.ID), p, p.Version, (*domain.Page).Apply, evs, err)
}

func (w *workload) editTree() {
	a, _ := pick(w, w.apps)
	tree := w.trees[a.ID]
	ids := slices.Sorted(maps.Keys(tree.Pages))
	page, ok := pick(w, ids)
	if !ok {
		return
	}
	other, _ := pick(w, ids)
	var c domain.PageTreeCommand
	switch w.rng.IntN(10) {
	case 0, 1, 2, 3:
		c = domain.RenameTreePage{PageID: page, Name: fmt.Sprintf("Tree page %d", w.rng.IntN(1000))}
	case 4, 5, 6, 7, 8:
		if w.rng.IntN(3) == 0 {
			other = ""
		}
		c = domain.MoveTreePage{PageID: page, ParentID: other}
	default:
		c = domain.DeleteTreePage{PageID: page}
	}
	evs, err := tree.Decide(c, w.env)
	commit(w, domain.StreamPageTree(a.ID), tree, tree.Version, (*domain.PageTree).Apply, evs, err)
}

func (w *workload) createScript() {
	a, _ := pick(w, w.apps)
	s := &domain.Script{}
	id := w.env.NewID()
	text := "function handleEvent(payload, ctx) {\n  return null;\n}\n"
	evs, err := s.Decide(domain.CreateScript{ScriptID: id, AppID: a.ID, Name: "handler_" + id, Kind: domain.ScriptEventHandler, Language: domain.LanguageJS, Text: text}, w.env)
	if commit(w, domain.StreamScript(id), s, 0, (*domain.Script).Apply, evs, err) {
		w.scripts = append(w.scripts, s)
		w.texts[id] = append(w.texts[id], s.Text)
	}
}

// editText changes a random line of text: inserts, deletes or rewrites one.
func (w *workload) editText(text string) string {
	lines := strings.SplitAfter(text, "\n")
	i := w.rng.IntN(len(lines))
	line := fmt.Sprintf("  ctx.log(%d); // ü\n", w.rng.IntN(10000))
	switch w.rng.IntN(3) {
	case 0:
		lines = slices.Insert(lines, i, line)
	case 1:
		if len(lines) > 1 {
			lines = slices.Delete(lines, i, i+1)
		}
	default:
		lines[i] = line
	}
	return strings.Join(lines, "")
}

func (w *workload) editScript() {
	s, _ := pick(w, w.scripts)
	var c domain.ScriptCommand
	switch r := w.rng.IntN(100); {
	case r < 80:
		c = domain.ChangeScriptText{Text: w.editText(s.Text)}
	case r < 88:
		c = domain.RenameScript{Name: fmt.Sprintf("handler_%d", w.rng.IntN(1000))}
	case r < 96:
		v := 1 + w.rng.IntN(len(w.texts[s.ID]))
		c = domain.RestoreScript{Text: w.texts[s.ID][v-1], FromVersion: int64(v)}
	default:
		c = domain.DeleteScript{}
	}
	evs, err := s.Decide(c, w.env)
	if commit(w, domain.StreamScript(s.ID), s, s.Version, (*domain.Script).Apply, evs, err) {
		for range evs {
			w.texts[s.ID] = append(w.texts[s.ID], s.Text)
		}
	}
}

func (w *workload) schema() {
	a, _ := pick(w, w.apps)
	s, ok := pick(w, w.schemas)
	var c domain.SchemaCommand
	create := !ok || w.rng.IntN(10) < 3
	switch r := w.rng.IntN(7); {
	case create:
		s = &domain.Schema{}
		c = domain.CreateSchema{SchemaID: w.env.NewID(), AppID: a.ID, Name: "Schema", Document: json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"}}}`)}
	case r < 4:
		c = domain.UpdateSchema{Document: json.RawMessage(fmt.Sprintf(`{"type":"object","properties":{"n%d":{"type":"integer"}}}`, w.rng.IntN(100)))}
	case r < 6:
		c = domain.RenameSchema{Name: fmt.Sprintf("Schema %d", w.rng.IntN(100))}
	default:
		c = domain.DeleteSchema{}
	}
	evs, err := s.Decide(c, w.env)
	if commit(w, domain.StreamSchema(cmpID(s.ID, c)), s, s.Version, (*domain.Schema).Apply, evs, err) && create {
		w.schemas = append(w.schemas, s)
	}
}

// cmpID is the id of the aggregate a command addresses: the state's, or a create command's.
func cmpID(id string, c any) string {
	switch c := c.(type) {
	case domain.CreateSchema:
		return c.SchemaID
	case domain.CreateDataSource:
		return c.DataSourceID
	case domain.CreateQuery:
		return c.QueryID
	}
	return id
}

func (w *workload) dataSource() {
	a, _ := pick(w, w.apps)
	d, ok := pick(w, w.sources)
	var c domain.DataSourceCommand
	create := !ok || w.rng.IntN(10) < 3
	switch r := w.rng.IntN(7); {
	case create:
		d = &domain.DataSource{}
		c = domain.CreateDataSource{DataSourceID: w.env.NewID(), AppID: a.ID, Name: "CRM", Kind: domain.DataSourceREST,
			Config:  map[string]json.RawMessage{"baseUrl": json.RawMessage(`"https://api.example.com/v1"`)},
			Secrets: map[string]string{"apiKey": "k-1"}}
	case r < 4:
		c = domain.UpdateDataSource{Secrets: map[string]string{"apiKey": fmt.Sprintf("k-%d", w.rng.IntN(100))}}
	case r < 6:
		c = domain.RenameDataSource{Name: fmt.Sprintf("CRM %d", w.rng.IntN(100))}
	default:
		c = domain.DeleteDataSource{}
	}
	evs, err := d.Decide(c, w.env)
	if commit(w, domain.StreamDataSource(cmpID(d.ID, c)), d, d.Version, (*domain.DataSource).Apply, evs, err) && create {
		w.sources = append(w.sources, d)
	}
}

func (w *workload) query() {
	a, _ := pick(w, w.apps)
	q, ok := pick(w, w.queries)
	var c domain.QueryCommand
	create := !ok || w.rng.IntN(10) < 3
	switch r := w.rng.IntN(7); {
	case create:
		q = &domain.Query{}
		c = domain.CreateQuery{QueryID: w.env.NewID(), AppID: a.ID, DataSourceID: "d1", Name: "List", Template: "GET /items?page={{page}}",
			Params: []domain.QueryParam{{Name: "page", Type: domain.ParamInteger}}}
	case r < 4:
		c = domain.UpdateQuery{Template: fmt.Sprintf("GET /items/%d", w.rng.IntN(100))}
	case r < 6:
		c = domain.RenameQuery{Name: fmt.Sprintf("List %d", w.rng.IntN(100))}
	default:
		c = domain.DeleteQuery{}
	}
	evs, err := q.Decide(c, w.env)
	if commit(w, domain.StreamQuery(cmpID(q.ID, c)), q, q.Version, (*domain.Query).Apply, evs, err) && create {
		w.queries = append(w.queries, q)
	}
}

func (w *workload) account() {
	switch r := w.rng.Float64(); {
	case len(w.users) == 0 || r < 0.12:
		w.createUser()
	case r < 0.6:
		w.editUser()
	case len(w.spaces) == 0 || r < 0.68:
		w.createWorkspace()
	default:
		w.editWorkspace()
	}
}

func hexHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func (w *workload) createUser() {
	name := fmt.Sprintf("user%03d", len(w.users)+1)
	u := &domain.User{}
	if existing, ok := pick(w, w.users); ok && w.rng.IntN(10) == 0 {
		u = existing // a taken username: rejected
		name = existing.ID
	}
	evs, err := u.Decide(domain.CreateUser{Username: name, DisplayName: "User " + name, Admin: w.rng.IntN(4) == 0,
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" + name}, w.env)
	if commit(w, domain.StreamUser(name), u, u.Version, (*domain.User).Apply, evs, err) {
		w.users = append(w.users, u)
	}
}

func (w *workload) editUser() {
	u, _ := pick(w, w.users)
	session, _ := pick(w, slices.Sorted(maps.Keys(u.Sessions)))
	token, _ := pick(w, slices.Sorted(maps.Keys(u.Tokens)))
	var c domain.UserCommand
	switch r := w.rng.IntN(100); {
	case r < 30:
		id := w.env.NewID()
		// Short lives, so that sessions expire during the run and Apply drops them.
		c = domain.StartSession{SessionID: id, Hash: hexHash(id), Address: fmt.Sprintf("192.0.2.%d", w.rng.IntN(255)),
			ExpiresAt: w.env.Now.Add(time.Duration(30+w.rng.IntN(600)) * time.Second)}
	case r < 42:
		c = domain.TouchSession{SessionID: session}
	case r < 50:
		c = domain.EndSession{SessionID: session, Reason: "logout"}
	case r < 55:
		c = domain.ChangePassword{PasswordHash: fmt.Sprintf("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$%d", w.rng.IntN(1000)), KeepSessionID: session}
	case r < 62:
		c = domain.RecordLoginFailure{Address: "198.51.100.7", Reason: "wrong_password"}
	case r < 75:
		id := w.env.NewID()
		c = domain.CreateToken{TokenID: id, Name: "token " + id, Hash: hexHash(id), ExpiresAt: w.env.Now.Add(time.Duration(1+w.rng.IntN(600)) * time.Minute)}
	case r < 82:
		c = domain.RevokeToken{TokenID: token}
	case r < 88:
		c = domain.SetUserDisabled{Disabled: w.rng.IntN(3) == 0}
	case r < 94:
		c = domain.SetUserAdmin{Admin: w.rng.IntN(2) == 0}
	default:
		w.unknownLogin()
		return
	}
	evs, err := u.Decide(c, w.env)
	commit(w, domain.StreamUser(u.ID), u, u.Version, (*domain.User).Apply, evs, err)
}

// unknownLogin appends a refused login of a username without an account.
func (w *workload) unknownLogin() {
	typ, raw, sv, err := domain.Encode(domain.UnknownLoginFailed("nobody", "203.0.113.9", "unknown_user", w.env.Now))
	require.NoError(w.t, err)
	res, err := w.store.Append(context.Background(), domain.StreamUnknownLogins, eventstore.Any(),
		[]eventstore.EventData{{Type: typ, Data: raw, SchemaVersion: sv, Actor: w.env.Actor}})
	require.NoError(w.t, err)
	w.unknownLogins++
	w.events++
	w.last = res.Events[0]
}

func (w *workload) createWorkspace() {
	owner, _ := pick(w, w.users)
	ws := &domain.Workspace{}
	id := w.env.NewID()
	evs, err := ws.Decide(domain.CreateWorkspace{WorkspaceID: id, Name: "Workspace " + id, OwnerID: owner.ID}, w.env)
	if commit(w, domain.StreamWorkspace(id), ws, 0, (*domain.Workspace).Apply, evs, err) {
		w.spaces = append(w.spaces, ws)
	}
}

func (w *workload) editWorkspace() {
	ws, _ := pick(w, w.spaces)
	user, _ := pick(w, w.users)
	member, _ := pick(w, slices.Sorted(maps.Keys(ws.Members)))
	var c domain.WorkspaceCommand
	switch r := w.rng.IntN(100); {
	case r < 55:
		c = domain.SetMember{UserID: user.ID, Role: domain.Roles()[w.rng.IntN(4)]}
	case r < 70:
		c = domain.SetMember{UserID: member, Role: domain.Roles()[w.rng.IntN(4)]}
	case r < 88:
		c = domain.RemoveMember{UserID: member}
	case r < 96:
		c = domain.RenameWorkspace{Name: fmt.Sprintf("Workspace %d", w.rng.IntN(100))}
	default:
		c = domain.DeleteWorkspace{}
	}
	evs, err := ws.Decide(c, w.env)
	commit(w, domain.StreamWorkspace(ws.ID), ws, ws.Version, (*domain.Workspace).Apply, evs, err)
}

// expected lists, per projection, the documents the workload's own states say it should hold
// (key -> state), for the state projections.
func (w *workload) expected() map[string]map[string]any {
	out := map[string]map[string]any{}
	add := func(projection, key string, state any) {
		if out[projection] == nil {
			out[projection] = map[string]any{}
		}
		out[projection][key] = state
	}
	for _, a := range w.apps {
		add(projections.Apps, a.ID, a)
	}
	for id, t := range w.trees {
		if t.Version > 0 {
			add(projections.PageTrees, id, t)
		}
	}
	for _, p := range w.pages {
		add(projections.Pages, p.ID, p)
	}
	for _, s := range w.scripts {
		add(projections.Scripts, projections.ScopedKey(s.AppID, s.ID), s)
	}
	for _, s := range w.schemas {
		add(projections.Schemas, projections.ScopedKey(s.AppID, s.ID), s)
	}
	for _, d := range w.sources {
		add(projections.DataSources, projections.ScopedKey(d.AppID, d.ID), d)
	}
	for _, q := range w.queries {
		add(projections.Queries, projections.ScopedKey(q.AppID, q.ID), q)
	}
	for _, u := range w.users {
		add(projections.Users, u.ID, u)
	}
	for _, ws := range w.spaces {
		add(projections.Workspaces, ws.ID, ws)
	}
	return out
}

// expectedAccess lists the documents the access projection should hold (key -> JSON data),
// and each user's memberships.
func (w *workload) expectedAccess() (map[string]any, map[string][]projections.Membership) {
	docs := map[string]any{}
	memberships := map[string][]projections.Membership{}
	for _, ws := range w.spaces {
		members := slices.Sorted(maps.Keys(ws.Members))
		if ws.Deleted {
			docs["ws/"+ws.ID] = map[string]any{"members": []string{}, "deleted": true}
			continue
		}
		docs["ws/"+ws.ID] = map[string]any{"members": members}
		for _, u := range members {
			docs[projections.MemberKey(u, ws.ID)] = map[string]any{"role": ws.Members[u]}
			memberships[u] = append(memberships[u], projections.Membership{WorkspaceID: ws.ID, Role: ws.Members[u]})
		}
	}
	for _, ms := range memberships {
		slices.SortFunc(ms, func(a, b projections.Membership) int { return strings.Compare(a.WorkspaceID, b.WorkspaceID) })
	}
	for _, a := range w.apps {
		docs[projections.OwnerKey(domain.StreamApp(a.ID))] = projections.Owner{AppID: a.ID, WorkspaceID: a.WorkspaceID}
	}
	owned := func(stream, appID string) { docs[projections.OwnerKey(stream)] = projections.Owner{AppID: appID} }
	for _, p := range w.pages {
		owned(domain.StreamPage(p.ID), p.AppID)
	}
	for _, s := range w.scripts {
		owned(domain.StreamScript(s.ID), s.AppID)
	}
	for _, s := range w.schemas {
		owned(domain.StreamSchema(s.ID), s.AppID)
	}
	for _, d := range w.sources {
		owned(domain.StreamDataSource(d.ID), d.AppID)
	}
	for _, q := range w.queries {
		owned(domain.StreamQuery(q.ID), q.AppID)
	}
	return docs, memberships
}
