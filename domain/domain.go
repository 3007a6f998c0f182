// Package domain is GoFlow's pure model: aggregates as decide/evolve functions, commands, events,
// and component manifests. It does no I/O and imports nothing of the project, so every business
// rule is testable with plain function calls.
//
// Conventions every aggregate follows:
//
//   - State is a value type (App, PageTree, Page, Script, Schema, DataSource, Query, User,
//     Workspace) with Version int64 (the stream version it was folded to) and Exists() bool.
//   - Evolve: func (s *T) Apply(e Event) — in place (pages fold tens of thousands of events over
//     thousands of nodes), never fails; unknown events only advance Version.
//   - Decide: func (s T) Decide(c Command, env Env) ([]Event, error) — a domain error (*Error) or the
//     events to append. Decide never mutates s. Env carries what a decision may not invent: the
//     time, the actor, new ids, and the component manifests.
//   - Fold: func FoldT(events []Event) T applies events in order.
//   - Stream ids come from the Stream* functions in streams.go.
package domain

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel kinds of domain error; test with errors.Is.
var (
	// ErrNotFound: the aggregate (or a thing inside it, like a node) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the command is malformed or violates a schema (maps to 400/422).
	ErrInvalid = errors.New("invalid")
	// ErrConflict: the command clashes with the current state (a taken slug, an existing id, a move
	// into its own subtree, an edit of a deleted node).
	ErrConflict = errors.New("conflict")
)

// Error is a domain rejection: a machine-readable code, the field path it concerns (JSON-pointer
// style, "" when none) and a message a person can read.
type Error struct {
	Kind    error  // ErrNotFound, ErrInvalid or ErrConflict
	Code    string // e.g. "unknown_component", "cycle", "slug_taken"
	Path    string // e.g. "/props/label"
	Message string
}

func (e *Error) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Path, e.Message, e.Code)
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Code)
}

// Unwrap makes errors.Is(err, ErrInvalid) and friends hold.
func (e *Error) Unwrap() error { return e.Kind }

func invalid(code, path, format string, args ...any) *Error {
	return &Error{Kind: ErrInvalid, Code: code, Path: path, Message: fmt.Sprintf(format, args...)}
}

func conflict(code, path, format string, args ...any) *Error {
	return &Error{Kind: ErrConflict, Code: code, Path: path, Message: fmt.Sprintf(format, args...)}
}

func notFound(code, path, format string, args ...any) *Error {
	return &Error{Kind: ErrNotFound, Code: code, Path: path, Message: fmt.Sprintf(format, args...)}
}

// Env is what a decision needs from outside and may not invent, so that Decide stays pure.
type Env struct {
	// Now is the command's time.
	Now time.Time
	// Actor is who issues the command.
	Actor string
	// NewID returns a fresh unique id (the caller passes uuid.NewString in production and a
	// counter in tests).
	NewID func() string
	// Components are the component manifests page edits are validated against.
	Components *Catalog
}

// evolver is a pointer to an aggregate state that evolves in place.
type evolver[T any] interface {
	*T
	Apply(e Event)
}

// fold applies events in order to a zero state: every aggregate's Fold function.
func fold[T any, P evolver[T]](events []Event) *T {
	s := new(T)
	for _, e := range events {
		P(s).Apply(e)
	}
	return s
}
