package web

import (
	"net/http"

	"github.com/goflow-dev/goflow/domain"
)

// componentsBody is the palette: every component manifest and the quick actions an event can be
// bound to without a script.
type componentsBody struct {
	Components   []domain.Manifest   `json:"components"`
	QuickActions []domain.ActionSpec `json:"quickActions"`
}

func (a *api) listComponents(w http.ResponseWriter, r *http.Request) error {
	// The catalog is immutable: it could be rendered once, but it is small and rarely fetched.
	return ok(w, componentsBody{Components: a.catalog.All(), QuickActions: a.catalog.QuickActions()})
}
