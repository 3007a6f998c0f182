package jsbox

import (
	"container/list"
	"reflect"
	"sync"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/parser"
)

// Nesting limits for sources. goja's parser and compiler recurse once per
// level and the compiler is quadratic in depth, so a 64 KiB source of nested
// brackets or a long chain of binary operators would cost seconds and
// hundreds of MB of stack. Ordinary code stays far below these.
const (
	maxBracketNesting = 200 // cheap lexical check before parsing
	maxASTDepth       = 600 // exact check after parsing, before compiling
)

// The script runs inside a strict-mode function: its declarations stay local
// (a pooled runtime's global object is frozen anyway), and the entry points
// are picked up by name. The prefix has no newline, so line numbers match the
// builder's source.
const (
	wrapPrefix = "(function(){'use strict';"
	wrapSuffix = "\n;return {handleEvent: typeof handleEvent === 'function' ? handleEvent : undefined, " +
		"reducer: typeof reducer === 'function' ? reducer : undefined};})"
)

// compileScript checks and compiles a script. The result is a goja program
// that evaluates to the wrapper function; it can run in any runtime.
func compileScript(p Program, lim *Limits) (*goja.Program, error) {
	if len(p.Source) > lim.MaxSourceBytes {
		return nil, newError(ErrInvalidScript, "source is %d bytes; the limit is %d", len(p.Source), lim.MaxSourceBytes)
	}
	if d := bracketNesting(p.Source); d > maxBracketNesting {
		return nil, newError(ErrInvalidScript, "brackets nested %d deep; the limit is %d", d, maxBracketNesting)
	}
	name := p.ID
	if name == "" {
		name = "script"
	}
	// Parsing the source alone first proves it is a complete program: it
	// cannot close the wrapper early and run code outside it. It also gives
	// syntax errors positions in the builder's source.
	prog, err := goja.Parse(name, p.Source, parser.WithDisableSourceMaps)
	if err != nil {
		return nil, newError(ErrInvalidScript, "%s", err.Error())
	}
	if astTooDeep(prog, maxASTDepth) {
		return nil, newError(ErrInvalidScript, "code nested deeper than %d levels", maxASTDepth)
	}
	wrapped, err := goja.Parse(name, wrapPrefix+p.Source+wrapSuffix, parser.WithDisableSourceMaps)
	if err != nil {
		return nil, newError(ErrInvalidScript, "%s", err.Error())
	}
	compiled, err := goja.CompileAST(wrapped, true)
	if err != nil {
		return nil, newError(ErrInvalidScript, "%s", err.Error())
	}
	return compiled, nil
}

// bracketNesting is the deepest nesting of (, [, { and ${ outside string
// literals and comments. Regular expression literals are not recognised, so
// it is an estimate; astTooDeep is the exact check.
func bracketNesting(src string) int {
	var open []byte // '(' '[' '{' or '$' for a template placeholder
	deepest := 0
	inTemplate := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inTemplate {
			switch {
			case c == '\\':
				i++
			case c == '`':
				inTemplate = false
			case c == '$' && i+1 < len(src) && src[i+1] == '{':
				open = append(open, '$')
				deepest = max(deepest, len(open))
				inTemplate = false
				i++
			}
			continue
		}
		switch c {
		case '\'', '"':
			for i++; i < len(src) && src[i] != c && src[i] != '\n'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '`':
			inTemplate = true
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				for i < len(src) && src[i] != '\n' {
					i++
				}
			} else if i+1 < len(src) && src[i+1] == '*' {
				i += 2
				for i+1 < len(src) && !(src[i] == '*' && src[i+1] == '/') {
					i++
				}
				i++
			}
		case '(', '[', '{':
			open = append(open, c)
			deepest = max(deepest, len(open))
		case ')', ']', '}':
			if n := len(open); n > 0 {
				top := open[n-1]
				open = open[:n-1]
				if top == '$' && c == '}' {
					inTemplate = true
				}
			}
		}
	}
	return deepest
}

var astPkgPath = reflect.TypeFor[ast.Program]().PkgPath()

// astTooDeep walks the syntax tree by reflection (goja/ast has no walker)
// and reports whether any node is nested deeper than limit. Each node is
// visited once; DeclarationList only repeats nodes found in the body.
func astTooDeep(root *ast.Program, limit int) bool {
	type item struct {
		v     reflect.Value
		depth int
	}
	stack := []item{{reflect.ValueOf(root), 0}}
	seen := map[uintptr]bool{}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		v := it.v
		switch v.Kind() {
		case reflect.Interface:
			if !v.IsNil() {
				stack = append(stack, item{v.Elem(), it.depth})
			}
		case reflect.Pointer:
			if v.IsNil() || v.Type().Elem().Kind() != reflect.Struct || v.Type().Elem().PkgPath() != astPkgPath {
				continue
			}
			if seen[v.Pointer()] {
				continue
			}
			seen[v.Pointer()] = true
			if it.depth+1 > limit {
				return true
			}
			stack = append(stack, item{v.Elem(), it.depth + 1})
		case reflect.Struct:
			t := v.Type()
			if t.PkgPath() != astPkgPath {
				continue
			}
			for i := range t.NumField() {
				if t.Field(i).Name != "DeclarationList" {
					stack = append(stack, item{v.Field(i), it.depth})
				}
			}
		case reflect.Slice:
			for i := range v.Len() {
				stack = append(stack, item{v.Index(i), it.depth})
			}
		}
	}
	return false
}

type programKey struct {
	id      string
	version int64
}

type cachedProgram struct {
	key    programKey
	source string
	prog   *goja.Program
	err    error // compile errors are cached too: a broken version stays broken
}

// programCache is a bounded LRU of compiled script versions.
type programCache struct {
	mu    sync.Mutex
	size  int
	order *list.List // front = most recently used
	byKey map[programKey]*list.Element
}

func newProgramCache(size int) *programCache {
	return &programCache{size: size, order: list.New(), byKey: map[programKey]*list.Element{}}
}

func (c *programCache) get(p Program, lim *Limits) (*goja.Program, error) {
	key := programKey{p.ID, p.Version}
	c.mu.Lock()
	if el, ok := c.byKey[key]; ok {
		e := el.Value.(*cachedProgram)
		if e.source == p.Source {
			c.order.MoveToFront(el)
			c.mu.Unlock()
			return e.prog, e.err
		}
	}
	c.mu.Unlock()

	// Compile outside the lock; two callers racing on a new version both
	// compile, which is harmless.
	prog, err := compileScript(p, lim)
	e := &cachedProgram{key: key, source: p.Source, prog: prog, err: err}

	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		el.Value = e
		c.order.MoveToFront(el)
	} else {
		c.byKey[key] = c.order.PushFront(e)
		for c.order.Len() > c.size {
			last := c.order.Back()
			delete(c.byKey, last.Value.(*cachedProgram).key)
			c.order.Remove(last)
		}
	}
	return prog, err
}

func (c *programCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
