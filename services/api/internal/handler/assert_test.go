package handler_test

import (
	"errors"
	"testing"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
)

// violatedFields returns the field paths named by err's buf.validate.Violations detail.
func violatedFields(t testing.TB, err error) []string {
	t.Helper()
	var cerr *connect.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("not a Connect error: %v", err)
	}
	var out []string
	for _, d := range cerr.Details() {
		v, derr := d.Value()
		if derr != nil {
			t.Fatalf("decode error detail: %v", derr)
		}
		if vs, ok := v.(*validate.Violations); ok {
			for _, one := range vs.GetViolations() {
				out = append(out, protovalidate.FieldPathString(one.GetField()))
			}
		}
	}
	return out
}

// wantInvalid fails the test unless err is InvalidArgument naming field.
func wantInvalid(t testing.TB, err error, field string) {
	t.Helper()
	wantCode(t, err, connect.CodeInvalidArgument)
	fields := violatedFields(t, err)
	for _, f := range fields {
		if f == field {
			return
		}
	}
	t.Fatalf("InvalidArgument names %v; want %q (%v)", fields, field, err)
}
