// Package apierr is the vocabulary of errors that Taskmesh services show their clients.
//
// Stores and handlers return these errors (wrapped or not); ToConnect turns them into
// Connect errors in one place. Any other error is an internal one: ToConnect hides it
// behind a generic message, and the request logger records it in full.
package apierr

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
)

// Error is an error meant for the client: a Connect code, a message written for the
// client and, for InvalidArgument, the fields at fault.
type Error struct {
	Code       connect.Code
	Message    string
	Violations []*validate.Violation
}

func (e *Error) Error() string { return e.Code.String() + ": " + e.Message }

// NotFound says that what was asked for does not exist for the caller. Another user's
// resource gets exactly this error too.
func NotFound(what string) error {
	return &Error{Code: connect.CodeNotFound, Message: what + " not found"}
}

// AlreadyExists says that the change would duplicate something unique.
func AlreadyExists(format string, args ...any) error {
	return &Error{Code: connect.CodeAlreadyExists, Message: fmt.Sprintf(format, args...)}
}

// FailedPrecondition says that the resource is not in a state that allows the change.
func FailedPrecondition(format string, args ...any) error {
	return &Error{Code: connect.CodeFailedPrecondition, Message: fmt.Sprintf(format, args...)}
}

// Aborted says that the change lost a race (a stale version); re-read and retry.
func Aborted(format string, args ...any) error {
	return &Error{Code: connect.CodeAborted, Message: fmt.Sprintf(format, args...)}
}

// Unauthenticated says that the caller's credentials are missing, wrong or expired.
func Unauthenticated(message string) error {
	return &Error{Code: connect.CodeUnauthenticated, Message: message}
}

// ResourceExhausted says that the caller is over a limit (rate or quota).
func ResourceExhausted(message string) error {
	return &Error{Code: connect.CodeResourceExhausted, Message: message}
}

// Invalid says that one field of the request is wrong. field is a dotted path with
// optional indexes, as protovalidate reports it ("task.reminders[1].at"); rule is a
// stable id for the broken rule ("reminder.after_due"); message is for the user.
func Invalid(field, rule, message string) error {
	return &Error{
		Code:       connect.CodeInvalidArgument,
		Message:    "invalid request: " + field + ": " + message,
		Violations: []*validate.Violation{Violation(field, rule, message)},
	}
}

// Violation builds a protovalidate violation for a field path such as "a.b[2].c".
func Violation(field, rule, message string) *validate.Violation {
	var elems []*validate.FieldPathElement
	for part := range strings.SplitSeq(field, ".") {
		name, rest, _ := strings.Cut(part, "[")
		b := validate.FieldPathElement_builder{FieldName: proto.String(name)}
		if idx, err := strconv.ParseUint(strings.TrimSuffix(rest, "]"), 10, 64); rest != "" && err == nil {
			b.Index = proto.Uint64(idx)
		}
		elems = append(elems, b.Build())
	}
	return validate.Violation_builder{
		Field:   validate.FieldPath_builder{Elements: elems}.Build(),
		RuleId:  proto.String(rule),
		Message: proto.String(message),
	}.Build()
}

// ToConnect converts err for the client. A Connect error passes through, an *Error
// becomes its Connect equivalent (violations attached as a buf.validate.Violations
// detail, as protovalidate's own interceptor does), and anything else becomes
// CodeInternal with a generic message; the second result is false in that last case so
// that the caller logs the original.
func ToConnect(err error) (*connect.Error, bool) {
	if err == nil {
		return nil, true
	}
	var cerr *connect.Error
	if errors.As(err, &cerr) {
		return cerr, cerr.Code() != connect.CodeInternal && cerr.Code() != connect.CodeUnknown
	}
	var aerr *Error
	if errors.As(err, &aerr) {
		out := connect.NewError(aerr.Code, errors.New(aerr.Message))
		if len(aerr.Violations) > 0 {
			if detail, derr := connect.NewErrorDetail(validate.Violations_builder{Violations: aerr.Violations}.Build()); derr == nil {
				out.AddDetail(detail)
			}
		}
		return out, true
	}
	switch {
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, errors.New("request canceled")), true
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, errors.New("deadline exceeded")), true
	}
	return connect.NewError(connect.CodeInternal, errors.New("internal error")), false
}
