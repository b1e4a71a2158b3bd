package server

import (
	"context"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/taskmesh/taskmesh/pkg/apierr"
)

// noNUL rejects requests with a NUL character in any string: PostgreSQL text cannot hold
// one, so such input would otherwise fail deep inside a transaction.
type noNUL struct{}

func (noNUL) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if msg, ok := req.Any().(proto.Message); ok {
			if path := findNUL(msg.ProtoReflect(), ""); path != "" {
				return nil, apierr.Invalid(path, "string.no_nul", "must not contain NUL characters")
			}
		}
		return next(ctx, req)
	}
}

func (noNUL) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (noNUL) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		return next(ctx, nulCheckingConn{conn})
	}
}

type nulCheckingConn struct{ connect.StreamingHandlerConn }

func (c nulCheckingConn) Receive(m any) error {
	if err := c.StreamingHandlerConn.Receive(m); err != nil {
		return err
	}
	if msg, ok := m.(proto.Message); ok {
		if path := findNUL(msg.ProtoReflect(), ""); path != "" {
			return apierr.Invalid(path, "string.no_nul", "must not contain NUL characters")
		}
	}
	return nil
}

// findNUL returns the path of the first string field (at any depth) containing NUL, or "".
func findNUL(m protoreflect.Message, prefix string) string {
	var found string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		path := prefix + string(fd.Name())
		switch {
		case fd.IsList():
			l := v.List()
			for i := range l.Len() {
				if p := nulIn(fd, l.Get(i), path+"["+strconv.Itoa(i)+"]"); p != "" {
					found = p
					return false
				}
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				found = nulIn(fd.MapValue(), mv, path+"["+k.String()+"]")
				return found == ""
			})
		default:
			found = nulIn(fd, v, path)
		}
		return found == ""
	})
	return found
}

func nulIn(fd protoreflect.FieldDescriptor, v protoreflect.Value, path string) string {
	switch fd.Kind() {
	case protoreflect.StringKind:
		if strings.ContainsRune(v.String(), 0) {
			return path
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return findNUL(v.Message(), path+".")
	}
	return ""
}
