package jsbox

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// hostLog is utils.log and console.*: host.log(level, argsArray). Lines are
// kept until MaxLogBytes; then one marker line is added and the rest dropped.
// Logging never fails a call.
func (v *vm) hostLog(call goja.FunctionCall) goja.Value {
	r := v.run
	if r.logsFull {
		return goja.Undefined()
	}
	level := v.argString(call, 0)
	room := v.lim.MaxLogBytes - r.logBytes - len(level) - perRecordOverhead
	var sb strings.Builder
	if args, ok := call.Argument(1).(*goja.Object); ok {
		n := args.Get("length").ToInteger()
		for i := range n {
			if sb.Len() > room {
				break
			}
			if i > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(v.formatLogArg(args.Get(strconv.FormatInt(i, 10)), room-sb.Len()+1))
		}
	}
	msg := sb.String()
	if len(msg) > room {
		if room > 0 {
			r.logs = append(r.logs, LogLine{Level: level, Message: truncate(msg, room)})
		}
		r.logs = append(r.logs, LogLine{Level: "warn", Message: fmt.Sprintf("log output truncated at %d bytes", v.lim.MaxLogBytes)})
		r.logsFull = true
		return goja.Undefined()
	}
	r.logs = append(r.logs, LogLine{Level: level, Message: msg})
	r.logBytes += len(msg) + len(level) + perRecordOverhead
	return goja.Undefined()
}

// formatLogArg renders one argument the way a console would: strings as they
// are, objects as JSON (cut at budget bytes), functions and errors by name.
func (v *vm) formatLogArg(val goja.Value, budget int) string {
	if budget <= 0 {
		return ""
	}
	obj, ok := val.(*goja.Object)
	if !ok {
		if goja.IsUndefined(val) {
			return "undefined"
		}
		return val.String()
	}
	if _, callable := goja.AssertFunction(obj); callable {
		return "[Function: " + obj.Get("name").String() + "]"
	}
	if obj.ClassName() == "Error" {
		return obj.String()
	}
	w := jsonWriter{rt: v.rt, max: budget, maxDepth: v.lim.MaxJSONDepth}
	s, ok, err := w.stringify(val)
	switch err {
	case nil:
		if !ok {
			return "undefined"
		}
		return s
	case errJSONCycle:
		return "[object with circular references]"
	case errJSONBigInt:
		return "[object containing a BigInt]"
	default: // too large or too deep: what was written so far
		return string(w.buf) + "…"
	}
}
