package jsbox

import (
	"cmp"
	"fmt"
	"runtime"
	"time"
)

// Limits bound what one call may consume. Zero fields take the defaults below.
type Limits struct {
	// Timeout is the wall-clock budget of one call, including the script's
	// top-level code and promise jobs. Default 50ms. HandlerInput.Timeout and
	// ReducerInput.Timeout override it per call (a per-app setting); a context
	// deadline that comes sooner wins.
	Timeout time.Duration
	// MaxCallStack is the JavaScript call depth. Default 1000.
	MaxCallStack int
	// MaxSourceBytes caps a script's source. Default 64 KiB: parsing is
	// superlinear for some pathological inputs, so this also bounds compile time.
	MaxSourceBytes int
	// MaxStateBytes caps the state given to and returned by a reducer, and the
	// state given to a handler, as JSON. Default 1 MiB.
	MaxStateBytes int
	// MaxResultBytes caps a handler's dispatched actions and component updates
	// together, as JSON. Default 1 MiB.
	MaxResultBytes int
	// MaxLogBytes caps the log lines of one call; further lines are dropped and
	// a final line says so. Default 64 KiB.
	MaxLogBytes int
	// MaxStringLength caps strings built by the guarded built-ins (repeat,
	// padStart, padEnd, concat, join, replace, JSON.stringify), in UTF-16 code
	// units. Default 1<<20.
	MaxStringLength int
	// MaxArrayLength caps the length of arrays and array-likes handed to Array
	// built-ins that walk every index. Default 1<<17.
	MaxArrayLength int
	// MaxJSONDepth caps the nesting of JSON crossing the boundary and of
	// JSON.parse / JSON.stringify inside the script. Default 128.
	MaxJSONDepth int
	// RegexpTimeout caps one match of a backtracking regular expression (the
	// ones Go's linear-time regexp cannot run: lookaround, backreferences).
	// Default 10ms.
	RegexpTimeout time.Duration
}

func (l Limits) withDefaults() Limits {
	l.Timeout = cmp.Or(l.Timeout, 50*time.Millisecond)
	l.MaxCallStack = cmp.Or(l.MaxCallStack, 1000)
	l.MaxSourceBytes = cmp.Or(l.MaxSourceBytes, 64<<10)
	l.MaxStateBytes = cmp.Or(l.MaxStateBytes, 1<<20)
	l.MaxResultBytes = cmp.Or(l.MaxResultBytes, 1<<20)
	l.MaxLogBytes = cmp.Or(l.MaxLogBytes, 64<<10)
	l.MaxStringLength = cmp.Or(l.MaxStringLength, 1<<20)
	l.MaxArrayLength = cmp.Or(l.MaxArrayLength, 1<<17)
	l.MaxJSONDepth = cmp.Or(l.MaxJSONDepth, 128)
	l.RegexpTimeout = cmp.Or(l.RegexpTimeout, 10*time.Millisecond)
	return l
}

func (l Limits) validate() error {
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"Timeout", int64(l.Timeout)},
		{"MaxCallStack", int64(l.MaxCallStack)},
		{"MaxSourceBytes", int64(l.MaxSourceBytes)},
		{"MaxStateBytes", int64(l.MaxStateBytes)},
		{"MaxResultBytes", int64(l.MaxResultBytes)},
		{"MaxLogBytes", int64(l.MaxLogBytes)},
		{"MaxStringLength", int64(l.MaxStringLength)},
		{"MaxArrayLength", int64(l.MaxArrayLength)},
		{"MaxJSONDepth", int64(l.MaxJSONDepth)},
		{"RegexpTimeout", int64(l.RegexpTimeout)},
	} {
		if f.v < 0 {
			return fmt.Errorf("jsbox: Limits.%s is negative", f.name)
		}
	}
	return nil
}

// Config configures a Sandbox.
type Config struct {
	// Limits apply to every call unless overridden per call.
	Limits Limits
	// MaxConcurrent is the number of calls running at once; further calls wait
	// for a free slot (or their context). Calls are CPU-bound, so more than
	// the number of cores buys nothing, and the cap also bounds the transient
	// memory hostile scripts can hold at once. Default GOMAXPROCS.
	MaxConcurrent int
	// ProgramCacheSize is the number of compiled script versions kept (LRU).
	// Default 1024.
	ProgramCacheSize int

	// freshRuntimes makes every call build its own runtime instead of reusing
	// hardened pooled ones; kept (unexported) only so the benchmark can
	// compare the two strategies.
	freshRuntimes bool
}

func (c Config) withDefaults() Config {
	c.Limits = c.Limits.withDefaults()
	c.MaxConcurrent = cmp.Or(c.MaxConcurrent, runtime.GOMAXPROCS(0))
	c.ProgramCacheSize = cmp.Or(c.ProgramCacheSize, 1024)
	return c
}

func (c Config) validate() error {
	if c.MaxConcurrent < 0 {
		return fmt.Errorf("jsbox: Config.MaxConcurrent is negative")
	}
	if c.ProgramCacheSize < 0 {
		return fmt.Errorf("jsbox: Config.ProgramCacheSize is negative")
	}
	return c.Limits.validate()
}
