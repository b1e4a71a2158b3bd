package main

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/taskmesh/taskmesh/pkg/dapr/sidecar"
)

func TestRunNeedsASidecar(t *testing.T) {
	err := run(context.Background(), func(string) string { return "" }, io.Discard, nil)
	if !errors.Is(err, sidecar.ErrNotConfigured) {
		t.Fatalf("run without DAPR_GRPC_PORT = %v; want ErrNotConfigured", err)
	}
}
