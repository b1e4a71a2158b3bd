package rpctest

import (
	"errors"
	"testing"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
)

// WantCode fails the test unless err is a Connect error with code.
func WantCode(tb testing.TB, err error, code connect.Code) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got success; want %v", code)
	}
	if got := connect.CodeOf(err); got != code {
		tb.Fatalf("got %v (%v); want %v", got, err, code)
	}
}

// ViolatedFields returns the field paths named by err's buf.validate.Violations detail
// (none when there is no such detail). It fails the test unless err is a Connect error
// whose details all decode.
func ViolatedFields(tb testing.TB, err error) []string {
	tb.Helper()
	var cerr *connect.Error
	if !errors.As(err, &cerr) {
		tb.Fatalf("not a Connect error: %v", err)
	}
	var out []string
	for _, d := range cerr.Details() {
		v, derr := d.Value()
		if derr != nil {
			tb.Fatalf("decode error detail: %v", derr)
		}
		if vs, ok := v.(*validate.Violations); ok {
			for _, one := range vs.GetViolations() {
				out = append(out, protovalidate.FieldPathString(one.GetField()))
			}
		}
	}
	return out
}

// WantInvalid fails the test unless err is InvalidArgument whose violations name field.
func WantInvalid(tb testing.TB, err error, field string) {
	tb.Helper()
	WantCode(tb, err, connect.CodeInvalidArgument)
	fields := ViolatedFields(tb, err)
	for _, f := range fields {
		if f == field {
			return
		}
	}
	tb.Fatalf("InvalidArgument names %v; want %q (%v)", fields, field, err)
}

// Msg returns the message of a response, or nil with the error: generated getters accept
// nil, so after `m, err := rpctest.Msg(c.GetTask(ctx, req))`, m.GetTask() is safe
// whatever happened.
func Msg[T any](resp *connect.Response[T], err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}
