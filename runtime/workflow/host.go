package workflow

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/goflow-dev/goflow/runtime/luabox"
)

// Queries runs an app's named queries; the data source layer implements it. Return
// [Permanent](err) for failures that trying again cannot fix (unknown query, invalid parameters),
// so that the workflow is not retried for them.
type Queries interface {
	Query(ctx context.Context, name string, params json.RawMessage) (json.RawMessage, error)
}

// Host is the luabox.Host of one app's workflows: its queries, its allowed hosts and its
// workspace's AI endpoint. Any field may be nil: a nil Queries fails query with
// [ErrQueriesNotConfigured], a nil HTTP refuses every host with [ErrHostNotAllowed], a nil AI fails
// ai.complete with [ErrAINotConfigured]. Every error is returned as a [*HostError].
type Host struct {
	Queries Queries
	HTTP    *HTTPClient
	AI      *AIClient
}

var _ luabox.Host = (*Host)(nil)

// Query implements luabox.Host.
func (h *Host) Query(ctx context.Context, name string, params json.RawMessage) (json.RawMessage, error) {
	if h.Queries == nil {
		return nil, &HostError{Op: "query", Err: ErrQueriesNotConfigured}
	}
	out, err := h.Queries.Query(ctx, name, params)
	if err != nil {
		return nil, &HostError{Op: "query", Err: err}
	}
	return out, nil
}

// HTTPRequest implements luabox.Host.
func (h *Host) HTTPRequest(ctx context.Context, req luabox.HTTPRequest) (luabox.HTTPResponse, error) {
	if h.HTTP == nil {
		return luabox.HTTPResponse{}, &HostError{Op: "http.request", Err: fmt.Errorf("the app allows no hosts: %w", ErrHostNotAllowed)}
	}
	resp, err := h.HTTP.HTTPRequest(ctx, req)
	if err != nil {
		return luabox.HTTPResponse{}, &HostError{Op: "http.request", Err: err}
	}
	return resp, nil
}

// AIComplete implements luabox.Host.
func (h *Host) AIComplete(ctx context.Context, req luabox.AIRequest) (luabox.AIResponse, error) {
	if h.AI == nil {
		return luabox.AIResponse{}, &HostError{Op: "ai.complete", Err: ErrAINotConfigured}
	}
	resp, err := h.AI.AIComplete(ctx, req)
	if err != nil {
		return luabox.AIResponse{}, &HostError{Op: "ai.complete", Err: err}
	}
	return resp, nil
}
