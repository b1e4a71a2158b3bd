// Package logging builds the one zerolog logger a service uses, from its LOG_LEVEL and
// LOG_FORMAT settings.
package logging

import (
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"
)

// TimeFormat is the format of log timestamps: RFC 3339 with milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// New returns a logger writing to w at level ("" means info) in format "json" (default)
// or "console", tagging every line with service.
func New(w io.Writer, level, format, service string) (zerolog.Logger, error) {
	// Milliseconds, to follow a request across services' logs. zerolog keeps the format
	// process-wide; each service has this one logger.
	zerolog.TimeFieldFormat = TimeFormat
	lvl := zerolog.InfoLevel
	if level != "" {
		var err error
		if lvl, err = zerolog.ParseLevel(level); err != nil {
			return zerolog.Nop(), fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", level)
		}
	}
	switch format {
	case "", "json":
	case "console":
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	default:
		return zerolog.Nop(), fmt.Errorf("LOG_FORMAT %q: want json or console", format)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Str("service", service).Logger(), nil
}
