package luabox

import (
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

const (
	// maxScriptBytes bounds the source handed to the parser.
	maxScriptBytes = 1 << 20
	// maxSyntaxDepth bounds the nesting of statements and expressions, like Lua's own
	// "chunk has too many syntax levels": the rewriter and the compiler recurse over the tree.
	maxSyntaxDepth = 200
	// maxCachedProtos and maxCachedBytes bound the compiled-script cache (the key holds the source);
	// when full it is emptied: scripts change rarely, so a full cache means churn, not a working set.
	maxCachedProtos = 512
	maxCachedBytes  = 16 << 20
	// concatLocal is the hidden local every .. is rewritten into a call of. The NUL byte makes it a
	// name no script can write, so it cannot be read, shadowed or reassigned.
	concatLocal = "\x00concat"
	// passLocal is the hidden local that return f(x) is rewritten to return through (see rewriter).
	passLocal = "\x00pass"
)

// compile parses and compiles a script once per (name, source) and caches the immutable bytecode.
func (s *Sandbox) compile(name, script string) (*lua.FunctionProto, error) {
	key := name + "\x00" + script
	s.mu.Lock()
	proto, ok := s.protos[key]
	s.mu.Unlock()
	if ok {
		return proto, nil
	}
	proto, err := compileScript(name, script)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.protos) >= maxCachedProtos || s.cachedBytes+len(key) > maxCachedBytes {
		clear(s.protos)
		s.cachedBytes = 0
	}
	if _, dup := s.protos[key]; !dup {
		s.cachedBytes += len(key)
	}
	s.protos[key] = proto
	s.mu.Unlock()
	return proto, nil
}

func compileScript(name, script string) (proto *lua.FunctionProto, err error) {
	if len(script) > maxScriptBytes {
		return nil, fmt.Errorf("%w: script is %d bytes, the limit is %d", ErrInvalidScript, len(script), maxScriptBytes)
	}
	defer func() {
		// The parser and compiler report most errors by panicking with an error value; anything
		// else they panic with is still a bad script, not a reason to stop the process.
		if p := recover(); p != nil {
			proto, err = nil, fmt.Errorf("%w: %v", ErrInvalidScript, p)
		}
	}()
	chunk, err := parse.Parse(strings.NewReader(script), name)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidScript, strings.TrimSpace(err.Error()))
	}
	rw := rewriter{}
	chunk = rw.stmts(chunk, 0)
	if rw.err != nil {
		return nil, rw.err
	}
	// The chunk receives the checked concat and the pass-through function as its varargs.
	head := &ast.LocalAssignStmt{Names: []string{concatLocal, passLocal}, Exprs: []ast.Expr{&ast.Comma3Expr{}}}
	chunk = append([]ast.Stmt{head}, chunk...)
	proto, err = lua.Compile(chunk, name)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidScript, err.Error())
	}
	return proto, nil
}

// rewriter rewrites the tree before compilation and enforces the nesting limit on the way:
//
//   - every a .. b .. c becomes concat(a, b, c), a call of a hidden local, so that string growth is
//     checked before it allocates (the VM's CONCAT has no hook);
//   - every return f(x) becomes return pass(f(x)), pass returning its arguments. gopher-lua counts the
//     tail calls made in a frame and, when an error unwinds through pcall, writes one traceback line
//     per tail call: a loop of tail calls becomes gigabytes of traceback in one uninterruptible Go
//     call. Without Lua-to-Lua tail calls, tail recursion takes a stack frame per call like any other
//     recursion and ends in ErrStackOverflow past Limits.MaxCallStack.
type rewriter struct {
	err error
}

func (rw *rewriter) deep(line, depth int) bool {
	if depth > maxSyntaxDepth && rw.err == nil {
		rw.err = fmt.Errorf("%w: line %d: the script nests more than %d levels deep", ErrInvalidScript, line, maxSyntaxDepth)
	}
	return rw.err != nil
}

func (rw *rewriter) stmts(list []ast.Stmt, depth int) []ast.Stmt {
	for _, st := range list {
		rw.stmt(st, depth+1)
	}
	return list
}

func (rw *rewriter) exprs(list []ast.Expr, depth int) {
	for i, e := range list {
		list[i] = rw.expr(e, depth)
	}
}

func (rw *rewriter) stmt(st ast.Stmt, depth int) {
	if rw.deep(st.Line(), depth) {
		return
	}
	switch st := st.(type) {
	case *ast.AssignStmt:
		rw.exprs(st.Lhs, depth+1)
		rw.exprs(st.Rhs, depth+1)
	case *ast.LocalAssignStmt:
		rw.exprs(st.Exprs, depth+1)
	case *ast.FuncCallStmt:
		st.Expr = rw.expr(st.Expr, depth+1)
	case *ast.DoBlockStmt:
		rw.stmts(st.Stmts, depth)
	case *ast.WhileStmt:
		st.Condition = rw.expr(st.Condition, depth+1)
		rw.stmts(st.Stmts, depth)
	case *ast.RepeatStmt:
		st.Condition = rw.expr(st.Condition, depth+1)
		rw.stmts(st.Stmts, depth)
	case *ast.IfStmt:
		st.Condition = rw.expr(st.Condition, depth+1)
		rw.stmts(st.Then, depth)
		rw.stmts(st.Else, depth)
	case *ast.NumberForStmt:
		st.Init = rw.expr(st.Init, depth+1)
		st.Limit = rw.expr(st.Limit, depth+1)
		if st.Step != nil {
			st.Step = rw.expr(st.Step, depth+1)
		}
		rw.stmts(st.Stmts, depth)
	case *ast.GenericForStmt:
		rw.exprs(st.Exprs, depth+1)
		rw.stmts(st.Stmts, depth)
	case *ast.FuncDefStmt:
		if st.Name != nil {
			if st.Name.Func != nil {
				st.Name.Func = rw.expr(st.Name.Func, depth+1)
			}
			if st.Name.Receiver != nil {
				st.Name.Receiver = rw.expr(st.Name.Receiver, depth+1)
			}
		}
		rw.stmts(st.Func.Stmts, depth)
	case *ast.ReturnStmt:
		rw.exprs(st.Exprs, depth+1)
		if len(st.Exprs) != 1 {
			return
		}
		if call, ok := st.Exprs[0].(*ast.FuncCallExpr); ok && !call.AdjustRet && !isHidden(call.Func) {
			pass := &ast.FuncCallExpr{Func: &ast.IdentExpr{Value: passLocal}, Args: []ast.Expr{call}}
			pass.Func.SetLine(call.Line())
			pass.Func.SetLastLine(call.LastLine())
			pass.SetLine(call.Line())
			pass.SetLastLine(call.LastLine())
			st.Exprs[0] = pass
		}
	}
}

func (rw *rewriter) expr(e ast.Expr, depth int) ast.Expr {
	if e == nil || rw.deep(e.Line(), depth) {
		return e
	}
	switch e := e.(type) {
	case *ast.StringConcatOpExpr:
		// Flatten the right-associative chain into one call, like the VM's single CONCAT.
		var operands []ast.Expr
		var cur ast.Expr = e
		for {
			c, ok := cur.(*ast.StringConcatOpExpr)
			if !ok {
				operands = append(operands, cur)
				break
			}
			operands = append(operands, c.Lhs)
			cur = c.Rhs
		}
		for i, op := range operands {
			operands[i] = rw.expr(op, depth+1)
		}
		// Each operand contributes one value, as with the operator; without this the last
		// argument f() or ... would expand to all its results.
		switch last := operands[len(operands)-1].(type) {
		case *ast.FuncCallExpr:
			last.AdjustRet = true
		case *ast.Comma3Expr:
			last.AdjustRet = true
		}
		call := &ast.FuncCallExpr{Func: &ast.IdentExpr{Value: concatLocal}, Args: operands}
		call.Func.SetLine(e.Line())
		call.Func.SetLastLine(e.LastLine())
		call.SetLine(e.Line())
		call.SetLastLine(e.LastLine())
		return call
	case *ast.AttrGetExpr:
		e.Object = rw.expr(e.Object, depth+1)
		e.Key = rw.expr(e.Key, depth+1)
	case *ast.TableExpr:
		for _, f := range e.Fields {
			if f.Key != nil {
				f.Key = rw.expr(f.Key, depth+1)
			}
			f.Value = rw.expr(f.Value, depth+1)
		}
	case *ast.FuncCallExpr:
		if e.Func != nil {
			e.Func = rw.expr(e.Func, depth+1)
		}
		if e.Receiver != nil {
			e.Receiver = rw.expr(e.Receiver, depth+1)
		}
		rw.exprs(e.Args, depth+1)
	case *ast.LogicalOpExpr:
		e.Lhs = rw.expr(e.Lhs, depth+1)
		e.Rhs = rw.expr(e.Rhs, depth+1)
	case *ast.RelationalOpExpr:
		e.Lhs = rw.expr(e.Lhs, depth+1)
		e.Rhs = rw.expr(e.Rhs, depth+1)
	case *ast.ArithmeticOpExpr:
		e.Lhs = rw.expr(e.Lhs, depth+1)
		e.Rhs = rw.expr(e.Rhs, depth+1)
	case *ast.UnaryMinusOpExpr:
		e.Expr = rw.expr(e.Expr, depth+1)
	case *ast.UnaryNotOpExpr:
		e.Expr = rw.expr(e.Expr, depth+1)
	case *ast.UnaryLenOpExpr:
		e.Expr = rw.expr(e.Expr, depth+1)
	case *ast.FunctionExpr:
		rw.stmts(e.Stmts, depth)
	}
	return e
}

// isHidden reports a call of one of the rewriter's own Go functions, which need no pass-through.
func isHidden(fn ast.Expr) bool {
	id, ok := fn.(*ast.IdentExpr)
	return ok && (id.Value == concatLocal || id.Value == passLocal)
}

// Check compiles script without running it (and without caching it), for editors that show
// syntax errors as the script is written. The error wraps ErrInvalidScript.
func Check(name, script string) error {
	_, err := compileScript(name, script)
	return err
}
