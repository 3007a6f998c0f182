package jsbox

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// maxCachedRegexps bounds a runtime's regexp verdict caches.
const maxCachedRegexps = 512

// goja runs a RegExp on Go's regexp (linear time) when the pattern allows,
// and otherwise on regexp2, a backtracking engine that neither checks the
// runtime's interrupt nor reports its own timeout to the script (goja turns
// a timeout into "no match"). The prelude therefore asks whether a pattern
// needs regexp2 (hostRegexpLinear) and, if so, runs every match first here
// with a match timeout (hostRegexpGuard). A timeout ends the call with
// ErrTimeout.
//
// regexp2 measures timeouts with a coarse process-wide clock (100ms ticks),
// so a catastrophic pattern is stopped RegexpTimeout plus up to ~200ms after
// it starts; the Sandbox does not wait that long for the result.

// regexpNeedsBacktracking mirrors goja's choice of engine.
func regexpNeedsBacktracking(source, flags string) bool {
	dotAll := strings.Contains(flags, "s")
	unicode := strings.Contains(flags, "u")
	re2, err := parser.TransformRegExp(source, dotAll, unicode)
	if err != nil {
		return true
	}
	var prefix string
	for _, f := range "msi" {
		if strings.ContainsRune(flags, f) {
			prefix += string(f)
		}
	}
	if prefix != "" {
		re2 = "(?" + prefix + ":" + re2 + ")"
	}
	_, err = regexp.Compile(re2)
	return err != nil
}

func compileRegexp2(source, flags string) (*regexp2.Regexp, error) {
	opts := regexp2.ECMAScript
	for _, f := range flags {
		switch f {
		case 'i':
			opts |= regexp2.IgnoreCase
		case 'm':
			opts |= regexp2.Multiline
		case 's':
			opts |= regexp2.Singleline
		case 'u':
			opts |= regexp2.Unicode
		}
	}
	return regexp2.Compile(source, opts)
}

// hostRegexpLinear(source) reports whether goja runs the pattern on Go's
// regexp whatever the flags (the u flag changes how escapes are read).
func (v *vm) hostRegexpLinear(call goja.FunctionCall) goja.Value {
	source := v.argString(call, 0)
	if linear, ok := v.linear[source]; ok {
		return v.rt.ToValue(linear)
	}
	if len(v.linear) >= maxCachedRegexps {
		clear(v.linear)
	}
	linear := !regexpNeedsBacktracking(source, "") && !regexpNeedsBacktracking(source, "u")
	v.linear[source] = linear
	return v.rt.ToValue(linear)
}

// hostRegexpGuard(source, flags, input, from) runs the match with a timeout.
func (v *vm) hostRegexpGuard(call goja.FunctionCall) goja.Value {
	source, flags := v.argString(call, 0), v.argString(call, 1)
	key := flags + "/" + source
	re, ok := v.regexps[key]
	if !ok {
		if len(v.regexps) >= maxCachedRegexps {
			clear(v.regexps)
		}
		var err error
		if re, err = compileRegexp2(source, flags); err != nil {
			// goja compiled it after rewriting it; if the guard cannot, the
			// pattern is refused rather than run unguarded.
			v.throwType("regular expression /%s/ is not supported: %v", truncate(source, 100), err)
		}
		v.regexps[key] = re
	}
	input := v.argString(call, 2)
	from := int(call.Argument(3).ToInteger())
	timeout := min(v.lim.RegexpTimeout, time.Until(v.run.deadline))
	if timeout <= 0 {
		v.abort(newError(ErrTimeout, "deadline reached before a regular expression match"))
		return goja.Undefined()
	}
	var runes []rune
	if strings.Contains(flags, "u") {
		runes = []rune(input)
	} else {
		// Without the u flag JavaScript matches UTF-16 code units.
		units := utf16.Encode([]rune(input))
		runes = make([]rune, len(units))
		for i, u := range units {
			runes[i] = rune(u)
		}
	}
	if from < 0 || from > len(runes) {
		return goja.Undefined()
	}
	re.MatchTimeout = timeout
	if _, err := re.FindRunesMatchStartingAt(runes, from); err != nil {
		v.abort(newError(ErrTimeout, "regular expression /%s/ ran longer than %v", truncate(source, 100), timeout))
	}
	return goja.Undefined()
}
