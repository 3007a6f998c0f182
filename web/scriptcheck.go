package web

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/runtime/jsbox"
	"github.com/goflow-dev/goflow/runtime/luabox"
)

// Checking a script's syntax for the editor's error markers: the text (the draft being typed, or
// the saved head) is compiled as the runtime would, without running it.

type checkScriptRequest struct {
	// Text is the draft to check; absent checks the saved text.
	Text *string `json:"text"`
}

// scriptProblem is one compile error, located when the compiler says where.
type scriptProblem struct {
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

type scriptCheckBody struct {
	OK     bool            `json:"ok"`
	Errors []scriptProblem `json:"errors"`
}

// Where compilers put positions: goja "Line 3:14", gopher-lua "line:3(column:14)".
var (
	jsPosition  = regexp.MustCompile(`Line (\d+):(\d+)`)
	luaPosition = regexp.MustCompile(`line:(\d+)\(column:(\d+)\)`)
)

func (a *api) checkScript(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireScript(r, 0)
	if err != nil {
		return err
	}
	var req checkScriptRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	text := s.state.Text
	if req.Text != nil {
		if len(*req.Text) > domain.MaxScriptText {
			return unprocessable("too_large", "/text", "The text is %d bytes; at most %d are allowed.", len(*req.Text), domain.MaxScriptText)
		}
		text = *req.Text
	}
	var (
		cerr error
		pos  *regexp.Regexp
	)
	if s.state.Language == domain.LanguageLua {
		cerr, pos = luabox.Check(s.state.Name, text), luaPosition
		if cerr != nil && !errors.Is(cerr, luabox.ErrInvalidScript) {
			return cerr
		}
	} else {
		// Version 0 is never a saved version: a draft does not evict compiled programs.
		cerr, pos = a.sandbox.Check(jsbox.Program{ID: s.state.ID, Version: 0, Source: text}), jsPosition
		if cerr != nil && !errors.Is(cerr, jsbox.ErrInvalidScript) && !errors.Is(cerr, jsbox.ErrTooLarge) {
			return cerr
		}
	}
	body := scriptCheckBody{OK: cerr == nil, Errors: []scriptProblem{}}
	if cerr != nil {
		p := scriptProblem{Message: cerr.Error()}
		if m := pos.FindStringSubmatch(p.Message); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
			p.Column, _ = strconv.Atoi(m[2])
		}
		body.Errors = append(body.Errors, p)
	}
	return ok(w, body)
}
