package workflow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/goflow-dev/goflow/runtime/workflow"
)

// recordingObserver records the callbacks as short strings, in order.
type recordingObserver struct {
	mu     sync.Mutex
	events []string
	errs   []error
}

func (o *recordingObserver) Started(attempt int) { o.add(fmt.Sprintf("started %d", attempt)) }
func (o *recordingObserver) Log(line string)     { o.add("log " + line) }
func (o *recordingObserver) Succeeded(result json.RawMessage, d time.Duration) {
	o.add("succeeded " + string(result))
}
func (o *recordingObserver) Failed(err error, d time.Duration, willRetry bool) {
	o.mu.Lock()
	o.errs = append(o.errs, err)
	o.mu.Unlock()
	o.add(fmt.Sprintf("failed retry=%t", willRetry))
}

func (o *recordingObserver) add(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, s)
}

func (o *recordingObserver) Events() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.events...)
}

// queryFunc adapts a function to workflow.Queries, standing for the data source layer.
type queryFunc func(ctx context.Context, name string, params json.RawMessage) (json.RawMessage, error)

func (f queryFunc) Query(ctx context.Context, name string, params json.RawMessage) (json.RawMessage, error) {
	return f(ctx, name, params)
}

var _ workflow.Queries = queryFunc(nil)

// lua wraps the body of process_event(data, ctx).
func lua(body string) string {
	return "function process_event(data, ctx)\n" + strings.TrimSpace(body) + "\nend"
}
