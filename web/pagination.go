package web

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
)

// List pagination: ?limit= (default 50, at most 500; larger values are capped) and ?cursor=, an
// opaque token taken from the previous page's nextCursor.
const (
	defaultPageLimit = 50
	maxPageLimit     = 500
)

// pageParams is a parsed list request.
type pageParams struct {
	Limit int
	// After is the decoded cursor: the position to continue after ("" for the first page).
	After string
}

// page is the body of every list response. NextCursor is empty on the last page.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// cursorPrefix versions the cursor format, so a future format can reject old tokens clearly.
const cursorPrefix = "c1:"

// parsePage reads ?limit= and ?cursor=.
func parsePage(r *http.Request) (pageParams, error) {
	q := r.URL.Query()
	p := pageParams{Limit: defaultPageLimit}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, badRequest("invalid_limit", "", "limit must be a positive integer, got %q.", s)
		}
		p.Limit = min(n, maxPageLimit)
	}
	if c := q.Get("cursor"); c != "" {
		after, ok := decodeCursor(c)
		if !ok {
			return p, badRequest("invalid_cursor", "", "cursor is not a cursor this server issued; start again without it.")
		}
		p.After = after
	}
	return p, nil
}

func encodeCursor(after string) string {
	if after == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + after))
}

func decodeCursor(c string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(raw), cursorPrefix) || len(raw) == len(cursorPrefix) {
		return "", false
	}
	return string(raw[len(cursorPrefix):]), true
}

// paginate cuts a page out of items sorted by key: the items after p.After, at most p.Limit of
// them. It serves lists the server holds in full (a page's history, one app's pages); lists that
// live in the projection store are paged there.
func paginate[T any](items []T, key func(T) string, p pageParams) page[T] {
	start := 0
	if p.After != "" {
		start = len(items)
		for i, it := range items {
			if key(it) == p.After {
				start = i + 1
				break
			}
		}
	}
	end := min(start+p.Limit, len(items))
	out := page[T]{Items: items[start:end]}
	if out.Items == nil {
		out.Items = []T{}
	}
	if end < len(items) {
		out.NextCursor = encodeCursor(key(items[end-1]))
	}
	return out
}
