package luabox

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

const logTruncatedMarker = "[log truncated]"

// installAPI adds the workflow API: log/print, json, query, http.request and ai.complete.
func (rs *runState) installAPI(L *lua.LState, g *lua.LTable) {
	logFn := L.NewFunction(rs.log)
	g.RawSetString("log", logFn)
	g.RawSetString("print", logFn)

	js := L.CreateTable(0, 4)
	js.RawSetString("encode", L.NewFunction(rs.jsonEncode))
	js.RawSetString("decode", L.NewFunction(rs.jsonDecode))
	js.RawSetString("array", L.NewFunction(rs.jsonArray))
	js.RawSetString("null", rs.null)
	g.RawSetString("json", js)

	g.RawSetString("query", L.NewFunction(rs.query))
	httpLib := L.CreateTable(0, 1)
	httpLib.RawSetString("request", L.NewFunction(rs.httpRequest))
	g.RawSetString("http", httpLib)
	ai := L.CreateTable(0, 1)
	ai.RawSetString("complete", L.NewFunction(rs.aiComplete))
	g.RawSetString("ai", ai)
}

// log captures its arguments as one line: strings and numbers as they are, tables as JSON when they
// can be encoded, anything else through tostring. Past Limits.MaxLogBytes a marker is added once and
// later lines are dropped; logging never fails a run.
func (rs *runState) log(L *lua.LState) int {
	if rs.logTruncated {
		return 0
	}
	var b strings.Builder
	for i := 1; i <= L.GetTop(); i++ {
		if i > 1 {
			b.WriteByte(' ')
		}
		v := L.Get(i)
		if t, ok := v.(*lua.LTable); ok {
			if out, err := rs.encodeJSON(t, rs.limits.MaxLogBytes); err == nil {
				b.Write(out)
				continue
			}
		}
		b.WriteString(L.ToStringMeta(v).String())
		if b.Len() > rs.limits.MaxLogBytes {
			break
		}
	}
	line := b.String()
	if rs.logBytes+len(line) > rs.limits.MaxLogBytes {
		rs.logTruncated = true
		if room := rs.limits.MaxLogBytes - rs.logBytes; room > 0 {
			rs.logs = append(rs.logs, truncateTo(line, room))
		}
		rs.logs = append(rs.logs, logTruncatedMarker)
		return 0
	}
	rs.logBytes += len(line)
	rs.logs = append(rs.logs, line)
	return 0
}

func truncateTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func (rs *runState) jsonEncode(L *lua.LState) int {
	out, err := rs.encodeJSON(L.CheckAny(1), rs.limits.MaxStringBytes)
	if err != nil {
		kind := ErrScript
		if errors.Is(err, ErrTooLarge) {
			kind = ErrTooLarge
		}
		rs.raise(L, kind, "json.encode: %s", err.Error())
	}
	L.Push(lua.LString(out))
	return 1
}

func (rs *runState) jsonDecode(L *lua.LState) int {
	s := L.CheckString(1)
	L.Push(rs.decodeChecked(L, "json.decode", []byte(s)))
	return 1
}

// decodeChecked decodes JSON from a script or the host, raising a catchable error when it is too
// large or invalid.
func (rs *runState) decodeChecked(L *lua.LState, what string, data []byte) lua.LValue {
	if len(data) > rs.limits.MaxStringBytes {
		rs.raise(L, ErrTooLarge, "%s: %d bytes of JSON exceed the %d-byte string limit", what, len(data), rs.limits.MaxStringBytes)
	}
	v, err := rs.decodeJSON(L, data)
	if err != nil {
		kind := ErrScript
		if errors.Is(err, ErrTooLarge) {
			kind = ErrTooLarge
		}
		rs.raise(L, kind, "%s: invalid JSON: %s", what, err.Error())
	}
	return v
}

// jsonArray marks t (or a new table) as an array, so that it encodes as [] while empty.
func (rs *runState) jsonArray(L *lua.LState) int {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		if L.Get(1) != lua.LNil {
			L.TypeError(1, lua.LTTable)
		}
		t = L.NewTable()
	}
	t.Metatable = rs.arrayMT
	L.Push(t)
	return 1
}

// hostOrRaise returns the host, or raises ErrForbidden when the sandbox has none.
func (rs *runState) hostOrRaise(L *lua.LState, what string) Host {
	if rs.host == nil {
		rs.raise(L, ErrForbidden, "%s is not available: no host is configured", what)
	}
	return rs.host
}

// query(name [, params]) runs a named query through the host.
func (rs *runState) query(L *lua.LState) int {
	name := L.CheckString(1)
	params := []byte("null")
	if v := L.Get(2); v != lua.LNil {
		var err error
		if params, err = rs.encodeJSON(v, rs.limits.MaxStringBytes); err != nil {
			rs.raise(L, ErrScript, "query %q: parameters: %s", name, err.Error())
		}
	}
	host := rs.hostOrRaise(L, "query")
	out, err := host.Query(rs.ctx, name, params)
	if err != nil {
		rs.raiseHost(L, fmt.Sprintf("query %q", name), err)
	}
	if len(out) == 0 {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(rs.decodeChecked(L, fmt.Sprintf("query %q result", name), out))
	return 1
}

// httpRequest is http.request{method=, url=, headers=, body=}; a table body is sent as JSON.
func (rs *runState) httpRequest(L *lua.LState) int {
	opts := L.CheckTable(1)
	req := HTTPRequest{
		Method:  strings.ToUpper(rs.optString(L, opts, "method", "GET")),
		URL:     rs.optString(L, opts, "url", ""),
		Headers: rs.stringMap(L, opts, "headers"),
	}
	if req.URL == "" {
		L.ArgError(1, "url is required")
	}
	switch body := opts.RawGetString("body").(type) {
	case *lua.LNilType:
	case lua.LString:
		req.Body = []byte(body)
	case *lua.LTable:
		out, err := rs.encodeJSON(body, rs.limits.MaxStringBytes)
		if err != nil {
			rs.raise(L, ErrScript, "http.request: body: %s", err.Error())
		}
		req.Body = out
		if !hasHeader(req.Headers, "Content-Type") {
			if req.Headers == nil {
				req.Headers = map[string]string{}
			}
			req.Headers["Content-Type"] = "application/json"
		}
	default:
		L.ArgError(1, "body must be a string or a table")
	}
	host := rs.hostOrRaise(L, "http.request")
	resp, err := host.HTTPRequest(rs.ctx, req)
	if err != nil {
		rs.raiseHost(L, fmt.Sprintf("http.request %s %s", req.Method, req.URL), err)
	}
	if len(resp.Body) > rs.limits.MaxStringBytes {
		rs.raise(L, ErrTooLarge, "http.request %s %s: the %d-byte response exceeds the %d-byte string limit",
			req.Method, req.URL, len(resp.Body), rs.limits.MaxStringBytes)
	}
	out := L.CreateTable(0, 3)
	out.RawSetString("status", lua.LNumber(resp.Status))
	headers := L.CreateTable(0, len(resp.Headers))
	for _, k := range sortedKeys(resp.Headers) {
		headers.RawSetString(k, lua.LString(resp.Headers[k]))
	}
	out.RawSetString("headers", headers)
	out.RawSetString("body", lua.LString(resp.Body))
	L.Push(out)
	return 1
}

// aiComplete is ai.complete{model=, prompt= | messages=, max_tokens=, temperature=}.
func (rs *runState) aiComplete(L *lua.LState) int {
	opts := L.CheckTable(1)
	req := AIRequest{
		Model:     rs.optString(L, opts, "model", ""),
		Prompt:    rs.optString(L, opts, "prompt", ""),
		MaxTokens: int(rs.optNumber(L, opts, "max_tokens", 0)),
	}
	if t, ok := opts.RawGetString("temperature").(lua.LNumber); ok {
		temp := float64(t)
		req.Temperature = &temp
	}
	switch msgs := opts.RawGetString("messages").(type) {
	case *lua.LNilType:
	case *lua.LTable:
		for i := 1; i <= msgs.Len(); i++ {
			m, ok := msgs.RawGetInt(i).(*lua.LTable)
			if !ok {
				L.ArgError(1, fmt.Sprintf("messages[%d] must be a table {role=, content=}", i))
			}
			req.Messages = append(req.Messages, AIMessage{
				Role:    rs.optString(L, m, "role", "user"),
				Content: rs.optString(L, m, "content", ""),
			})
		}
	default:
		L.ArgError(1, "messages must be a list of {role=, content=}")
	}
	if (req.Prompt == "") == (len(req.Messages) == 0) {
		L.ArgError(1, "give either prompt or messages")
	}
	host := rs.hostOrRaise(L, "ai.complete")
	resp, err := host.AIComplete(rs.ctx, req)
	if err != nil {
		rs.raiseHost(L, "ai.complete", err)
	}
	rs.checkSize(L, len(resp.Text), "ai.complete")
	out := L.CreateTable(0, 4)
	out.RawSetString("text", lua.LString(resp.Text))
	out.RawSetString("model", lua.LString(resp.Model))
	out.RawSetString("finish_reason", lua.LString(resp.FinishReason))
	usage := L.CreateTable(0, 2)
	usage.RawSetString("prompt_tokens", lua.LNumber(resp.PromptTokens))
	usage.RawSetString("completion_tokens", lua.LNumber(resp.CompletionTokens))
	out.RawSetString("usage", usage)
	L.Push(out)
	return 1
}

func (rs *runState) optString(L *lua.LState, t *lua.LTable, key, def string) string {
	switch v := t.RawGetString(key).(type) {
	case *lua.LNilType:
		return def
	case lua.LString, lua.LNumber:
		return v.String()
	default:
		L.ArgError(1, fmt.Sprintf("%s must be a string, got %s", key, v.Type().String()))
		return ""
	}
}

func (rs *runState) optNumber(L *lua.LState, t *lua.LTable, key string, def float64) float64 {
	switch v := t.RawGetString(key).(type) {
	case *lua.LNilType:
		return def
	case lua.LNumber:
		return float64(v)
	default:
		L.ArgError(1, fmt.Sprintf("%s must be a number, got %s", key, v.Type().String()))
		return 0
	}
}

// stringMap reads t[key] as a table of string (or number) values.
func (rs *runState) stringMap(L *lua.LState, t *lua.LTable, key string) map[string]string {
	h, ok := t.RawGetString(key).(*lua.LTable)
	if !ok {
		if t.RawGetString(key) != lua.LNil {
			L.ArgError(1, key+" must be a table")
		}
		return nil
	}
	m := map[string]string{}
	for k, v := h.Next(lua.LNil); k != lua.LNil; k, v = h.Next(k) {
		if !plainString(k) || !plainString(v) {
			L.ArgError(1, key+" must map strings to strings")
		}
		m[k.String()] = v.String()
	}
	return m
}

func hasHeader(h map[string]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
