package delivery

import (
	"cmp"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
)

// RouterConfig configures NewRouter.
type RouterConfig struct {
	// MaxRetries is how many times a failing handler is retried before its message is nacked
	// (and then redelivered by the Subscriber). Default 5.
	MaxRetries int
	// RetryInterval is the first pause between retries; it doubles up to 10s. Default 100ms.
	RetryInterval time.Duration
	// Logger is used by the router and its middleware. Default slog.Default().
	Logger *slog.Logger
}

// NewRouter returns a watermill router with the middleware every GoFlow consumer needs: panics
// become errors (Recoverer) and failed handlers are retried with backoff (Retry) before the
// message is nacked.
func NewRouter(cfg RouterConfig) (*message.Router, error) {
	logger := watermill.NewSlogLogger(cmp.Or(cfg.Logger, slog.Default()))
	r, err := message.NewRouter(message.RouterConfig{}, logger)
	if err != nil {
		return nil, fmt.Errorf("new router: %w", err)
	}
	r.AddMiddleware(
		middleware.Retry{
			MaxRetries:      cmp.Or(cfg.MaxRetries, 5),
			InitialInterval: cmp.Or(cfg.RetryInterval, 100*time.Millisecond),
			MaxInterval:     10 * time.Second,
			Multiplier:      2,
			Logger:          logger,
		}.Middleware,
		// Innermost, so that a panic is an error the Retry middleware sees.
		middleware.Recoverer,
	)
	return r, nil
}
