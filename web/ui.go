package web

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// The editor UI: web/ui is a Vite app whose build (web/ui/dist) is embedded in the binary. A
// binary built without Node (no dist) serves a page saying how to build the UI.

//go:embed all:ui/dist
var uiDist embed.FS

// uiCSP is the UI's content security policy: everything from this origin only. Monaco injects
// styles and runs its workers from blob: URLs; images may be data: URLs (icons).
const uiCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// uiNotBuilt is served when the binary carries no UI build.
const uiNotBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GoFlow: UI not built</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>The editor UI is not built into this binary</h1>
<p>This goflow binary was built without the web UI. The API works (see <a href="/api/openapi.json">/api/openapi.json</a>).</p>
<p>To build the UI into the binary, run <code>make run</code> (or <code>make ui</code> then <code>go build ./cmd/goflow</code>) from the repository.</p>
</body></html>`

// uiHandler serves the embedded build (problemFallback routes here the GETs no route takes): files as they are (hashed assets cached for a year), and
// index.html for every other path, so that client-side routes survive a reload.
type uiHandler struct {
	files fs.FS
	index []byte // nil when the UI is not built
	at    time.Time
}

func newUIHandler() *uiHandler {
	sub, err := fs.Sub(uiDist, "ui/dist")
	if err != nil {
		return &uiHandler{}
	}
	index, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		return &uiHandler{files: sub}
	}
	return &uiHandler{files: sub, index: index, at: time.Now()}
}

func (u *uiHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", uiCSP)
	if u.index == nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(uiNotBuilt))
		return
	}
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	if name != "" && name != "index.html" {
		if f, err := u.files.Open(name); err == nil {
			st, err := f.Stat()
			_ = f.Close()
			if err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				http.ServeFileFS(w, r, u.files, name)
				return
			}
		}
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "index.html", u.at, bytes.NewReader(u.index))
}
