package web

import (
	"encoding/json"
	"net/http"

	"github.com/goflow-dev/goflow/domain"
)

// Settings of the backend runs: an app's flow service secret, a workspace's AI endpoint, a
// workflow's retry policy. Secrets are sealed before they are stored (as data source secrets
// are) and never shown: views say only whether one is set.

// FlowSecretAAD binds a sealed flow service secret to its app.
func FlowSecretAAD(appID string) string { return "app/" + appID + "/flowSecret" }

// AIKeyAAD binds a sealed AI API key to its workspace.
func AIKeyAAD(workspaceID string) string { return "workspace/" + workspaceID + "/aiKey" }

type flowSecretRequest struct {
	// Secret is the new secret; "" removes it.
	Secret *string `json:"secret"`
}

// flowSecretBody says whether an app's flow service secret is set.
type flowSecretBody struct {
	Set     bool  `json:"set"`
	Version int64 `json:"version"`
}

// putFlowSecret replaces the secret that signs the app's flow service requests.
func (a *api) putFlowSecret(w http.ResponseWriter, r *http.Request) error {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return err
	}
	var req flowSecretRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Secret == nil {
		return unprocessable("required", "/secret", "secret is required (\"\" removes it).")
	}
	if len(*req.Secret) > domain.MaxSecretLen {
		return unprocessable("too_large", "/secret", "The secret is at most %d bytes.", domain.MaxSecretLen)
	}
	sealed := ""
	if *req.Secret != "" {
		if sealed, err = a.box.Seal(*req.Secret, FlowSecretAAD(app.state.ID)); err != nil {
			return err
		}
	}
	res, err := execute(r.Context(), a, r, command[*domain.App]{
		agg: appAggregate, id: app.state.ID, decide: decideApp(domain.SetFlowSecret{Sealed: sealed}),
	})
	if err != nil {
		return err
	}
	return ok(w, flowSecretBody{Set: res.state.FlowSecret != "", Version: res.version})
}

type aiRequest struct {
	BaseURL   string `json:"baseUrl"`
	Model     string `json:"model"`
	MaxTokens int    `json:"maxTokens"`
	// APIKey replaces the key when set; absent keeps the current one.
	APIKey *string `json:"apiKey"`
}

// aiBody is a workspace's AI endpoint as the API shows it: never the key.
type aiBody struct {
	Configured bool   `json:"configured"`
	BaseURL    string `json:"baseUrl,omitempty"`
	Model      string `json:"model,omitempty"`
	MaxTokens  int    `json:"maxTokens,omitempty"`
	APIKeySet  bool   `json:"apiKeySet"`
	Version    int64  `json:"version"`
}

func aiView(ws *domain.Workspace, version int64) aiBody {
	if ws.AI == nil {
		return aiBody{Version: version}
	}
	return aiBody{Configured: true, BaseURL: ws.AI.BaseURL, Model: ws.AI.Model, MaxTokens: ws.AI.MaxTokens, APIKeySet: ws.AI.APIKeySealed != "", Version: version}
}

func (a *api) getWorkspaceAI(w http.ResponseWriter, r *http.Request) error {
	ws, err := load(r.Context(), a.store, workspaceAggregate, r.PathValue("workspaceID"), 0)
	if err != nil {
		return err
	}
	return ok(w, aiView(ws.state, ws.version))
}

// putWorkspaceAI configures the OpenAI-compatible endpoint the workspace's workflows call.
func (a *api) putWorkspaceAI(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("workspaceID")
	ws, err := load(r.Context(), a.store, workspaceAggregate, id, 0)
	if err != nil {
		return err
	}
	var req aiRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	ai := &domain.WorkspaceAI{BaseURL: req.BaseURL, Model: req.Model, MaxTokens: req.MaxTokens}
	switch {
	case req.APIKey == nil && ws.state.AI != nil:
		ai.APIKeySealed = ws.state.AI.APIKeySealed
	case req.APIKey != nil && len(*req.APIKey) > domain.MaxSecretLen:
		return unprocessable("too_large", "/apiKey", "The API key is at most %d bytes.", domain.MaxSecretLen)
	case req.APIKey != nil && *req.APIKey != "":
		if ai.APIKeySealed, err = a.box.Seal(*req.APIKey, AIKeyAAD(id)); err != nil {
			return err
		}
	}
	res, err := execute(r.Context(), a, r, command[*domain.Workspace]{
		agg: workspaceAggregate, id: id, decide: decideWorkspace(domain.SetWorkspaceAI{AI: ai}),
	})
	if err != nil {
		return err
	}
	return ok(w, aiView(res.state, res.version))
}

func (a *api) deleteWorkspaceAI(w http.ResponseWriter, r *http.Request) error {
	expected, err := queryVersion(r)
	if err != nil {
		return err
	}
	res, err := execute(r.Context(), a, r, command[*domain.Workspace]{
		agg: workspaceAggregate, id: r.PathValue("workspaceID"), expected: &expected, decide: decideWorkspace(domain.SetWorkspaceAI{}),
	})
	if err != nil {
		return err
	}
	return ok(w, aiView(res.state, res.version))
}

// optional is a JSON field that distinguishes absent (Set false), null (Set, Value nil) and a
// value (Set, Value non-nil).
type optional[T any] struct {
	Set   bool
	Value *T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.Value = &v
	return nil
}
