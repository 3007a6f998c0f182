package domain

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// PageTree is how an app's pages are organised (one per app, stream pagetree-<appId>): a forest
// ordered by fractional index, each page with a route slug unique within the app. Like Page it
// evolves in place.
type PageTree struct {
	Version int64                 `json:"version"`
	Pages   map[string]*TreeEntry `json:"pages"`
}

// TreeEntry is one page's place in the tree. ParentID is "" at the top level.
type TreeEntry struct {
	PageID   string `json:"pageId"`
	Name     string `json:"name"`
	Slug     string `json:"slug"`
	ParentID string `json:"parentId"`
	Index    string `json:"index"`
}

// pageTreeEvents lists the events of this aggregate.
var pageTreeEvents = []eventDef{
	{event: &TreePageAdded{}},
	{event: &TreePageRenamed{}},
	{event: &TreePageMoved{}},
	{event: &TreePagesDeleted{}},
}

// TreePageAdded places a new page in the tree.
type TreePageAdded struct {
	PageID   string `json:"pageId"`
	Name     string `json:"name"`
	Slug     string `json:"slug"`
	ParentID string `json:"parentId"`
	Index    string `json:"index"`
}

// TreePageRenamed changes a page's name and slug.
type TreePageRenamed struct {
	PageID string `json:"pageId"`
	Name   string `json:"name"`
	Slug   string `json:"slug"`
}

// TreePageMoved re-parents and/or re-orders a page.
type TreePageMoved struct {
	PageID   string `json:"pageId"`
	ParentID string `json:"parentId"`
	Index    string `json:"index"`
}

// TreePagesDeleted removes a page and its descendants (PageIDs lists all, the page first).
type TreePagesDeleted struct {
	PageID  string   `json:"pageId"`
	PageIDs []string `json:"pageIds"`
}

func (*TreePageAdded) EventType() string    { return "pagetree.page_added" }
func (*TreePageRenamed) EventType() string  { return "pagetree.page_renamed" }
func (*TreePageMoved) EventType() string    { return "pagetree.page_moved" }
func (*TreePagesDeleted) EventType() string { return "pagetree.pages_deleted" }

// PageTreeCommand is an edit of the page tree.
type PageTreeCommand interface{ isPageTreeCommand() }

// AddPage places a page in the tree. Slug empty derives one from the name (made unique);
// ParentID empty means the top level; Index empty appends after the last sibling.
type AddPage struct{ PageID, Name, Slug, ParentID, Index string }

// RenameTreePage changes a page's name and, when Slug is not empty, its slug.
type RenameTreePage struct{ PageID, Name, Slug string }

// MoveTreePage re-parents (ParentID "" is the top level) and re-orders a page.
type MoveTreePage struct{ PageID, ParentID, Index string }

// DeleteTreePage removes a page and its subtree from the tree.
type DeleteTreePage struct{ PageID string }

func (AddPage) isPageTreeCommand()        {}
func (RenameTreePage) isPageTreeCommand() {}
func (MoveTreePage) isPageTreeCommand()   {}
func (DeleteTreePage) isPageTreeCommand() {}

const treeMaxSlugLen = 64

var treeSlugPattern = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)

// FoldPageTree applies events in order to an empty tree.
func FoldPageTree(events []Event) *PageTree { return fold[PageTree](events) }

// Exists reports whether the tree has any history.
func (t *PageTree) Exists() bool { return t != nil && t.Version > 0 }

// Apply evolves the tree in place by one event; it never fails.
func (t *PageTree) Apply(e Event) {
	t.Version++
	if t.Pages == nil {
		t.Pages = map[string]*TreeEntry{}
	}
	switch e := e.(type) {
	case *TreePageAdded:
		t.Pages[e.PageID] = &TreeEntry{PageID: e.PageID, Name: e.Name, Slug: e.Slug, ParentID: e.ParentID, Index: e.Index}
	case *TreePageRenamed:
		if p := t.Pages[e.PageID]; p != nil {
			p.Name, p.Slug = e.Name, e.Slug
		}
	case *TreePageMoved:
		if p := t.Pages[e.PageID]; p != nil {
			p.ParentID, p.Index = e.ParentID, e.Index
		}
	case *TreePagesDeleted:
		for _, id := range e.PageIDs {
			delete(t.Pages, id)
		}
	}
}

// Clone returns a deep copy.
func (t *PageTree) Clone() *PageTree {
	if t == nil {
		return nil
	}
	c := &PageTree{Version: t.Version}
	if t.Pages != nil {
		c.Pages = make(map[string]*TreeEntry, len(t.Pages))
		for id, p := range t.Pages {
			cp := *p
			c.Pages[id] = &cp
		}
	}
	return c
}

// Decide validates a command against the tree and returns the events to append; it never
// mutates t.
func (t *PageTree) Decide(c PageTreeCommand, env Env) ([]Event, error) {
	evs, e := t.decide(c)
	if e != nil {
		return nil, e
	}
	return evs, nil
}

func (t *PageTree) decide(c PageTreeCommand) ([]Event, *Error) {
	switch cc := c.(type) {
	case AddPage:
		return t.decideAdd(cc)
	case *AddPage:
		return t.decideAdd(*cc)
	case RenameTreePage:
		return t.decideRename(cc)
	case *RenameTreePage:
		return t.decideRename(*cc)
	case MoveTreePage:
		return t.decideMove(cc)
	case *MoveTreePage:
		return t.decideMove(*cc)
	case DeleteTreePage:
		return t.decideDelete(cc)
	case *DeleteTreePage:
		return t.decideDelete(*cc)
	default:
		return nil, invalid("unknown_op", "", "unknown page tree command %T", c)
	}
}

func (t *PageTree) entry(id string) (*TreeEntry, *Error) {
	if id == "" {
		return nil, invalid("required", "/pageId", "pageId is required")
	}
	p := t.Pages[id]
	if p == nil {
		return nil, notFound("page_not_found", "/pages/"+propPtrEscape(id), "page %s is not in the tree", id)
	}
	return p, nil
}

func (t *PageTree) parent(id string) *Error {
	if id == "" {
		return nil
	}
	if t.Pages[id] == nil {
		return notFound("page_not_found", "/parentId", "parent page %s is not in the tree", id)
	}
	return nil
}

// slugOwner returns the page using slug, if any.
func (t *PageTree) slugOwner(slug string) string {
	for _, p := range t.Pages {
		if p.Slug == slug {
			return p.PageID
		}
	}
	return ""
}

// SlugFromName derives a route slug: lowercase ASCII letters and digits, other runs become "-".
func SlugFromName(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= treeMaxSlugLen {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > treeMaxSlugLen {
		s = strings.TrimRight(s[:treeMaxSlugLen], "-")
	}
	if s == "" {
		s = "page"
	}
	return s
}

// treeSlug checks an explicit slug or derives a free one from the name.
func (t *PageTree) treeSlug(slug, name, self string) (string, *Error) {
	if slug != "" {
		if !treeSlugPattern.MatchString(slug) {
			return "", invalid("invalid_slug", "/slug", "slug %q must be 1 to %d characters of a-z, 0-9 and -", slug, treeMaxSlugLen)
		}
		if owner := t.slugOwner(slug); owner != "" && owner != self {
			return "", conflict("slug_taken", "/slug", "slug %q is used by page %s", slug, owner)
		}
		return slug, nil
	}
	base := SlugFromName(name)
	s := base
	for n := 2; ; n++ {
		if owner := t.slugOwner(s); owner == "" || owner == self {
			return s, nil
		}
		suffix := "-" + strconv.Itoa(n)
		s = strings.TrimRight(base[:min(len(base), treeMaxSlugLen-len(suffix))], "-") + suffix
	}
}

func (t *PageTree) children(parentID, exclude string) []*TreeEntry {
	var out []*TreeEntry
	for _, p := range t.Pages {
		if p.ParentID == parentID && p.PageID != exclude {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, treeOrder)
	return out
}

func treeOrder(a, b *TreeEntry) int {
	return cmp.Or(strings.Compare(a.Index, b.Index), strings.Compare(a.PageID, b.PageID))
}

// placeIndex follows Page.placeIndex: want when free, append when empty, repair on collision.
func (t *PageTree) placeIndex(parentID, want, exclude string) (string, *Error) {
	sibs := t.children(parentID, exclude)
	if want == "" {
		last := ""
		if len(sibs) > 0 {
			last = sibs[len(sibs)-1].Index
		}
		k, err := KeyBetween(last, "")
		if err != nil {
			return "", invalid("invalid_index", "/index", "%v", err)
		}
		return k, nil
	}
	if err := ValidateKey(want); err != nil {
		return "", invalid("invalid_index", "/index", "%v", err)
	}
	collides, next := false, ""
	for _, s := range sibs {
		if s.Index == want {
			collides = true
		} else if s.Index > want {
			next = s.Index
			break
		}
	}
	if !collides {
		return want, nil
	}
	k, err := KeyBetween(want, next)
	if err != nil {
		return "", invalid("invalid_index", "/index", "%v", err)
	}
	return k, nil
}

func (t *PageTree) decideAdd(c AddPage) ([]Event, *Error) {
	if !pageIDPattern.MatchString(c.PageID) {
		return nil, invalid("invalid_page_id", "/pageId", "page id %q is not a valid id", c.PageID)
	}
	if t.Pages[c.PageID] != nil {
		return nil, conflict("page_exists", "/pageId", "page %s is already in the tree", c.PageID)
	}
	name, e := pageCheckName(c.Name)
	if e != nil {
		return nil, e
	}
	if e := t.parent(c.ParentID); e != nil {
		return nil, e
	}
	slug, e := t.treeSlug(c.Slug, name, "")
	if e != nil {
		return nil, e
	}
	index, e := t.placeIndex(c.ParentID, c.Index, "")
	if e != nil {
		return nil, e
	}
	return []Event{&TreePageAdded{PageID: c.PageID, Name: name, Slug: slug, ParentID: c.ParentID, Index: index}}, nil
}

func (t *PageTree) decideRename(c RenameTreePage) ([]Event, *Error) {
	p, e := t.entry(c.PageID)
	if e != nil {
		return nil, e
	}
	name, e := pageCheckName(c.Name)
	if e != nil {
		return nil, e
	}
	slug := p.Slug
	if c.Slug != "" {
		if slug, e = t.treeSlug(c.Slug, name, p.PageID); e != nil {
			return nil, e
		}
	}
	return []Event{&TreePageRenamed{PageID: p.PageID, Name: name, Slug: slug}}, nil
}

func (t *PageTree) decideMove(c MoveTreePage) ([]Event, *Error) {
	p, e := t.entry(c.PageID)
	if e != nil {
		return nil, e
	}
	if e := t.parent(c.ParentID); e != nil {
		return nil, e
	}
	for cur, hops := c.ParentID, 0; cur != "" && hops <= len(t.Pages); hops++ {
		if cur == p.PageID {
			return nil, conflict("cycle", "/parentId", "cannot move page %s into its own subtree", p.PageID)
		}
		next := t.Pages[cur]
		if next == nil {
			break
		}
		cur = next.ParentID
	}
	index, e := t.placeIndex(c.ParentID, c.Index, p.PageID)
	if e != nil {
		return nil, e
	}
	return []Event{&TreePageMoved{PageID: p.PageID, ParentID: c.ParentID, Index: index}}, nil
}

func (t *PageTree) decideDelete(c DeleteTreePage) ([]Event, *Error) {
	p, e := t.entry(c.PageID)
	if e != nil {
		return nil, e
	}
	idx := t.childIndex()
	var ids []string
	var walk func(id string)
	walk = func(id string) {
		ids = append(ids, id)
		for _, k := range idx[id] {
			walk(k.PageID)
		}
	}
	walk(p.PageID)
	return []Event{&TreePagesDeleted{PageID: p.PageID, PageIDs: ids}}, nil
}

func (t *PageTree) childIndex() map[string][]*TreeEntry {
	idx := map[string][]*TreeEntry{}
	for _, p := range t.Pages {
		idx[p.ParentID] = append(idx[p.ParentID], p)
	}
	for _, kids := range idx {
		slices.SortFunc(kids, treeOrder)
	}
	return idx
}

// PageTreeDocument is the tree as clients read it.
type PageTreeDocument struct {
	Version int64               `json:"version"`
	Pages   []*TreePageDocument `json:"pages"`
}

// TreePageDocument is one page with its child pages in order.
type TreePageDocument struct {
	PageID   string              `json:"pageId"`
	Name     string              `json:"name"`
	Slug     string              `json:"slug"`
	Index    string              `json:"index"`
	Children []*TreePageDocument `json:"children"`
}

// Document renders the tree nested, siblings ordered by Index then page id.
func (t *PageTree) Document() PageTreeDocument {
	idx := t.childIndex()
	var build func(parent string, depth int) []*TreePageDocument
	build = func(parent string, depth int) []*TreePageDocument {
		out := make([]*TreePageDocument, 0, len(idx[parent]))
		if depth > len(t.Pages) { // only a corrupt state could nest deeper than it has pages
			return out
		}
		for _, p := range idx[parent] {
			out = append(out, &TreePageDocument{PageID: p.PageID, Name: p.Name, Slug: p.Slug, Index: p.Index, Children: build(p.PageID, depth+1)})
		}
		return out
	}
	return PageTreeDocument{Version: t.Version, Pages: build("", 0)}
}
