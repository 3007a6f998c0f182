package jsbox

import _ "embed"

//go:embed goflow-api.d.ts
var typeScriptDefinitions string

// TypeScriptDefinitions returns the TypeScript declarations of the API
// injected into scripts (createAction, dispatch, ctx, utils, console), for the
// editor's completion. goflow-api.d.ts is the one place they are maintained.
func TypeScriptDefinitions() string { return typeScriptDefinitions }
