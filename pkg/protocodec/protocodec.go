// Package protocodec provides the codecs Taskmesh reads requests with: Protobuf JSON that
// refuses what it cannot represent, and errors that describe the body, never a Go type.
//
// connect-go and vanguard both decode JSON with protojson's DiscardUnknown option, which
// drops unknown field names AND unknown enum value names without a word: a request with
// "priority": "PRIORITY_BOGUS" arrived as a task without a priority, and a filter on
// "TASK_STATUS_BOGUS" as no filter at all. The JSON codec here keeps DiscardUnknown off, so
// both are refused with InvalidArgument naming the field. Clients and servers are built from
// the same protos and deployed together, and the browser speaks binary Protobuf (which
// keeps unknown fields as such), so strictness costs no compatibility that is relied on;
// a misspelt field name is refused rather than ignored, which is what a client wants.
//
// connect-go also wraps decoding errors as "unmarshal into *taskv1.CreateTaskRequest: proto:
// ...", which shows clients the server's Go types. The errors of these codecs read
// "invalid JSON at line 1:27: invalid value for enum field priority: "PRIORITY_BOGUS"".
package protocodec

import (
	"errors"
	"fmt"
	"strings"

	"connectrpc.com/connect"
	"connectrpc.com/vanguard"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// HandlerOptions registers the strict codecs on a Connect handler, under every name
// connect-go serves by default ("proto", "json" and "json; charset=utf-8").
func HandlerOptions() connect.HandlerOption {
	return connect.WithHandlerOptions(
		connect.WithCodec(Proto{}),
		connect.WithCodec(JSON{name: "json"}),
		connect.WithCodec(JSON{name: "json; charset=utf-8"}),
	)
}

// VanguardCodecs registers the strict JSON codec on a vanguard transcoder, which decodes
// the JSON of browsers and curl before forwarding binary Protobuf.
func VanguardCodecs() vanguard.TranscoderOption {
	return vanguard.WithCodec(func(res vanguard.TypeResolver) vanguard.Codec {
		c := vanguard.NewJSONCodec(res)
		c.UnmarshalOptions.DiscardUnknown = false
		return vanguardJSON{c}
	})
}

// vanguardJSON is vanguard's JSON codec with this package's errors.
type vanguardJSON struct{ *vanguard.JSONCodec }

func (c vanguardJSON) Unmarshal(data []byte, msg proto.Message) error {
	if err := c.JSONCodec.Unmarshal(data, msg); err != nil {
		return connect.NewError(connect.CodeInvalidArgument, jsonError(err))
	}
	return nil
}

// Proto is the binary Protobuf codec.
type Proto struct{}

// Name returns "proto".
func (Proto) Name() string { return "proto" }

// Marshal encodes message, which must be a proto.Message.
func (Proto) Marshal(message any) ([]byte, error) {
	m, ok := message.(proto.Message)
	if !ok {
		return nil, errors.New("not a protobuf message")
	}
	return proto.Marshal(m)
}

// Unmarshal decodes data into message; a malformed body answers an error that describes
// it without naming Go types.
func (Proto) Unmarshal(data []byte, message any) error {
	m, ok := message.(proto.Message)
	if !ok {
		return errors.New("not a protobuf message")
	}
	if err := proto.Unmarshal(data, m); err != nil {
		return fmt.Errorf("invalid protobuf body: %s", strings.TrimPrefix(err.Error(), "proto: "))
	}
	return nil
}

// JSON is the Protobuf JSON codec that refuses unknown fields and enum value names.
type JSON struct{ name string }

// Name returns the codec's name ("json" or "json; charset=utf-8").
func (j JSON) Name() string { return j.name }

// Marshal encodes message as connect-go's own JSON codec does.
func (JSON) Marshal(message any) ([]byte, error) {
	m, ok := message.(proto.Message)
	if !ok {
		return nil, errors.New("not a protobuf message")
	}
	return protojson.Marshal(m)
}

// Unmarshal decodes data into message, refusing unknown fields and enum names.
func (JSON) Unmarshal(data []byte, message any) error {
	m, ok := message.(proto.Message)
	if !ok {
		return errors.New("not a protobuf message")
	}
	if len(data) == 0 {
		return errors.New("invalid JSON: the body is empty; send a JSON object such as {}")
	}
	if err := protojson.Unmarshal(data, m); err != nil {
		return jsonError(err)
	}
	return nil
}

// IsBinary reports false: JSON is text.
func (JSON) IsBinary() bool { return false }

// jsonError rewrites a protojson error ("proto: (line 1:27): unknown field "x"") for the
// client ("invalid JSON at line 1:27: unknown field "x"").
func jsonError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "proto: ")
	msg = strings.TrimPrefix(msg, "syntax error ")
	if strings.HasPrefix(msg, "(line ") {
		if pos, rest, ok := strings.Cut(msg[len("(line "):], "): "); ok {
			return errors.New("invalid JSON at line " + pos + ": " + rest)
		}
	}
	return errors.New("invalid JSON: " + msg)
}
