package luabox

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Sentinel errors returned by [Sandbox.Run]; test them with errors.Is.
var (
	// ErrTimeout: the run exceeded Limits.Timeout (or its context's deadline).
	ErrTimeout = errors.New("workflow timed out")
	// ErrStackOverflow: the Lua call stack or value stack overflowed, usually deep recursion.
	ErrStackOverflow = errors.New("workflow stack overflow")
	// ErrTooLarge: a string, result, coroutine count or memory limit was exceeded.
	ErrTooLarge = errors.New("workflow exceeded a size limit")
	// ErrScript: the script raised a runtime error (the message is truncated).
	ErrScript = errors.New("workflow script error")
	// ErrInvalidScript: the script does not compile or does not define process_event.
	ErrInvalidScript = errors.New("invalid workflow script")
	// ErrForbidden: the script reached for a capability the sandbox removed. A Host may also wrap
	// it (for example for a host that is not allowed) and the run error is then classified as such.
	ErrForbidden = errors.New("workflow capability not available")
)

// Limits bounds one run. Zero or negative fields take the documented defaults.
type Limits struct {
	// Timeout is the wall-clock budget of a run, host calls included. Default 2s.
	Timeout time.Duration
	// MaxCallStack is the maximum depth of Lua call frames. Default 200.
	MaxCallStack int
	// MaxRegistry is the maximum number of value slots on the Lua data stack. Default 65536.
	MaxRegistry int
	// MaxStringBytes caps any single string a script builds or receives from the host. Default 4 MiB.
	MaxStringBytes int
	// MaxCoroutines caps the coroutines created during one run. Default 64.
	MaxCoroutines int
	// MaxResultBytes caps the JSON encoding of process_event's return value. Default 1 MiB.
	MaxResultBytes int
	// MaxLogBytes caps the captured log text; later lines are dropped after a marker. Default 64 KiB.
	MaxLogBytes int
	// MaxMemoryBytes is how far the process's live heap may grow during a run before the memory
	// watchdog stops it (see the package documentation). Default 128 MiB.
	MaxMemoryBytes int
}

// Default limits.
const (
	DefaultTimeout        = 2 * time.Second
	DefaultMaxCallStack   = 200
	DefaultMaxRegistry    = 64 * 1024
	DefaultMaxStringBytes = 4 << 20
	DefaultMaxCoroutines  = 64
	DefaultMaxResultBytes = 1 << 20
	DefaultMaxLogBytes    = 64 << 10
	DefaultMaxMemoryBytes = 128 << 20
)

func (l Limits) withDefaults() Limits {
	pos := func(v int) int { return max(v, 0) }
	return Limits{
		Timeout:        cmp.Or(max(l.Timeout, 0), DefaultTimeout),
		MaxCallStack:   cmp.Or(pos(l.MaxCallStack), DefaultMaxCallStack),
		MaxRegistry:    cmp.Or(pos(l.MaxRegistry), DefaultMaxRegistry),
		MaxStringBytes: cmp.Or(pos(l.MaxStringBytes), DefaultMaxStringBytes),
		MaxCoroutines:  cmp.Or(pos(l.MaxCoroutines), DefaultMaxCoroutines),
		MaxResultBytes: cmp.Or(pos(l.MaxResultBytes), DefaultMaxResultBytes),
		MaxLogBytes:    cmp.Or(pos(l.MaxLogBytes), DefaultMaxLogBytes),
		MaxMemoryBytes: cmp.Or(pos(l.MaxMemoryBytes), DefaultMaxMemoryBytes),
	}
}

// Host is the seam to the outside world: the workflow runtime implements it, tests use a fake.
// Every call gets the run's context, so it ends at the run's deadline.
type Host interface {
	// Query runs the app's named query with JSON parameters and returns its JSON result.
	Query(ctx context.Context, name string, params json.RawMessage) (json.RawMessage, error)
	// HTTPRequest performs an outbound request; the host enforces the app's allowed hosts.
	HTTPRequest(ctx context.Context, req HTTPRequest) (HTTPResponse, error)
	// AIComplete asks the workspace's OpenAI-compatible endpoint for a completion.
	AIComplete(ctx context.Context, req AIRequest) (AIResponse, error)
}

// HTTPRequest is what http.request{...} asks the host to send.
type HTTPRequest struct {
	Method  string
	URL     string
	Headers map[string]string
	Body    []byte
}

// HTTPResponse is what the host answers; Body larger than Limits.MaxStringBytes fails the call.
type HTTPResponse struct {
	Status  int
	Headers map[string]string
	Body    []byte
}

// AIMessage is one chat message.
type AIMessage struct {
	Role    string
	Content string
}

// AIRequest is what ai.complete{...} asks for: Prompt or Messages, never both.
type AIRequest struct {
	Model       string
	Prompt      string
	Messages    []AIMessage
	MaxTokens   int
	Temperature *float64
}

// AIResponse is the completion handed back to the script.
type AIResponse struct {
	Text             string
	Model            string
	FinishReason     string
	PromptTokens     int
	CompletionTokens int
}

// Run is one workflow execution.
type Run struct {
	// Script is the Lua source defining process_event(data, ctx).
	Script string
	// Name names the chunk in error messages ("name:line: message"); default "workflow".
	Name string
	// Data is the JSON payload passed as the first argument (empty means nil).
	Data json.RawMessage
	// Ctx is JSON session and app information passed as the second argument (empty means nil).
	Ctx json.RawMessage
	// Host, when set, serves this run's query, http.request and ai.complete instead of the
	// sandbox's host, so that one sandbox (and its compiled scripts) serves runs with different
	// hosts: one per app, or per session.
	Host Host
}

// Result is the outcome of a run. On error, Logs and Duration are still filled in.
type Result struct {
	// Output is the JSON encoding of process_event's first return value (null when none).
	Output json.RawMessage
	// Logs holds the lines written with log or print, capped at Limits.MaxLogBytes.
	Logs []string
	// Duration is the wall-clock time of the whole run, compilation included.
	Duration time.Duration
}

// Sandbox runs workflow scripts under fixed limits. It is safe for concurrent use; each run gets its
// own interpreter. Compiled scripts are cached by name and source.
type Sandbox struct {
	limits Limits
	host   Host

	mu          sync.Mutex
	protos      map[string]*lua.FunctionProto
	cachedBytes int
}

// NewSandbox returns a sandbox with limits l (defaults filled in) calling host h. A nil host makes
// query, http.request and ai.complete raise ErrForbidden.
func NewSandbox(l Limits, h Host) *Sandbox {
	return &Sandbox{limits: l.withDefaults(), host: h, protos: map[string]*lua.FunctionProto{}}
}

// Limits returns the effective limits, defaults filled in.
func (s *Sandbox) Limits() Limits { return s.limits }

// Run executes r.Script's process_event(data, ctx) in a fresh interpreter. Errors wrap one of the
// package's sentinel errors, except a canceled ctx (which wraps ctx's cause) and invalid r.Data or
// r.Ctx JSON.
func (s *Sandbox) Run(ctx context.Context, r Run) (res Result, err error) {
	start := time.Now()
	name := cmp.Or(r.Name, "workflow")
	proto, err := s.compile(name, r.Script)
	if err != nil {
		res.Duration = time.Since(start)
		return res, err
	}

	ctx, cancelTimeout := context.WithTimeoutCause(ctx, s.limits.Timeout, ErrTimeout)
	defer cancelTimeout()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopWatch := watchMemory(ctx, cancel, s.limits.MaxMemoryBytes)
	defer stopWatch()

	host := s.host
	if r.Host != nil {
		host = r.Host
	}
	rs := newRunState(ctx, s.limits, host)
	defer func() {
		// A Go panic outside the interpreter's own recovery is a bug here; it must not take the
		// process down.
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: internal error: %v", ErrScript, p)
		}
		res.Logs = rs.logs
		res.Duration = time.Since(start)
	}()
	L := rs.newState()
	defer L.Close()

	out, err := rs.execute(L, proto, r)
	if err != nil {
		return res, err
	}
	res.Output = out
	return res, nil
}

// execute runs the chunk, then process_event, and encodes the result.
func (rs *runState) execute(L *lua.LState, proto *lua.FunctionProto, r Run) (json.RawMessage, error) {
	L.Push(L.NewFunctionFromProto(proto))
	// The hidden locals the compiler rewrote .. and return f(x) into.
	L.Push(L.NewFunction(rs.concat))
	L.Push(L.NewFunction(passThrough))
	if err := L.PCall(2, 0, nil); err != nil {
		return nil, rs.classify(err)
	}
	fn, ok := L.G.Global.RawGetString("process_event").(*lua.LFunction)
	if !ok {
		return nil, fmt.Errorf("%w: the script does not define function process_event(data, ctx)", ErrInvalidScript)
	}
	data, err := rs.decodeArg(L, r.Data)
	if err != nil {
		return nil, fmt.Errorf("luabox: data: %w", err)
	}
	runCtx, err := rs.decodeArg(L, r.Ctx)
	if err != nil {
		return nil, fmt.Errorf("luabox: ctx: %w", err)
	}
	L.Push(fn)
	L.Push(data)
	L.Push(runCtx)
	if err := L.PCall(2, 1, nil); err != nil {
		return nil, rs.classify(err)
	}
	ret := L.Get(-1)
	L.Pop(1)
	out, err := rs.encodeJSON(ret, rs.limits.MaxResultBytes)
	if err != nil {
		return nil, rs.wrapEncodeError("result", err)
	}
	return out, nil
}

func (rs *runState) decodeArg(L *lua.LState, raw json.RawMessage) (lua.LValue, error) {
	if len(raw) == 0 {
		return lua.LNil, nil
	}
	return rs.decodeJSON(L, raw)
}

// passThrough returns its arguments; see rewriter for why return f(x) goes through it.
func passThrough(L *lua.LState) int { return L.GetTop() }
