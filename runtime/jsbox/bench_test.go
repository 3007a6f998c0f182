package jsbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// A typical page: a todo list with a filter, a counter and a user.
func benchState() json.RawMessage {
	var todos []string
	for i := range 20 {
		todos = append(todos, fmt.Sprintf(`{"id":%d,"title":"todo number %d","done":%t,"tags":["a","b"]}`, i, i, i%3 == 0))
	}
	return json.RawMessage(`{"count":3,"filter":"all","user":{"id":7,"name":"Ada"},"todos":[` + strings.Join(todos, ",") + `]}`)
}

const benchHandler = `
function handleEvent(payload, ctx) {
	const todo = ctx.state.todos.find(t => t.id === payload.id);
	if (!todo) return;
	dispatch(createAction('todo/toggle', { id: todo.id, done: !todo.done }));
	ctx.component.setProps({ label: todo.done ? 'Undo' : 'Done' });
}`

const benchReducer = `
function reducer(state = { count: 0, todos: [] }, action) {
	switch (action.type) {
	case 'todo/toggle':
		return { ...state, todos: state.todos.map(t => t.id === action.payload.id ? { ...t, done: action.payload.done } : t) };
	case 'count/inc':
		return { ...state, count: state.count + 1 };
	default:
		return state;
	}
}`

func benchSandbox(b *testing.B, fresh bool) *Sandbox {
	b.Helper()
	sb, err := NewSandbox(Config{MaxConcurrent: 1, freshRuntimes: fresh})
	if err != nil {
		b.Fatal(err)
	}
	return sb
}

func BenchmarkHandler(b *testing.B) {
	sb := benchSandbox(b, false)
	in := HandlerInput{
		Script:    Program{ID: "h", Version: 1, Source: benchHandler},
		Event:     Event{Name: "onClick", Payload: json.RawMessage(`{"id":4}`)},
		State:     benchState(),
		Component: ComponentInfo{NodeID: "n1", Type: "Button", Props: json.RawMessage(`{"label":"Done"}`)},
		Det:       Determinism{Time: time.Unix(1700000000, 0), Seed: 1},
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := sb.RunHandler(ctx, in)
		if err != nil || len(res.Actions) != 1 {
			b.Fatal(res, err)
		}
	}
}

func BenchmarkReducer(b *testing.B) {
	for _, strategy := range []struct {
		name  string
		fresh bool
	}{{"pooled", false}, {"fresh", true}} {
		b.Run(strategy.name, func(b *testing.B) {
			sb := benchSandbox(b, strategy.fresh)
			in := ReducerInput{
				Script: Program{ID: "r", Version: 1, Source: benchReducer},
				State:  benchState(),
				Action: Action{Type: "todo/toggle", Payload: json.RawMessage(`{"id":4,"done":false}`)},
				Det:    Determinism{Time: time.Unix(1700000000, 0), Seed: 1},
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sb.RunReducer(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNewRuntime is the cost of building a hardened pooled runtime,
// paid once per slot and after a runtime is discarded.
func BenchmarkNewRuntime(b *testing.B) {
	sb := benchSandbox(b, false)
	for b.Loop() {
		if _, err := newVM(sb.prelude, &sb.cfg.Limits, true); err != nil {
			b.Fatal(err)
		}
	}
}
