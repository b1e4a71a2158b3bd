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
// "invalid JSON at task.priority (line 1:27): invalid value for enum field priority: "PRIORITY_BOGUS"".
package protocodec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

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
		return connect.NewError(connect.CodeInvalidArgument, jsonError(data, err))
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
		return errors.New("invalid protobuf body: " + strings.TrimLeft(strings.TrimPrefix(err.Error(), "proto:"), " \u00a0"))
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
		return jsonError(data, err)
	}
	return nil
}

// IsBinary reports false: JSON is text.
func (JSON) IsBinary() bool { return false }

// jsonError rewrites a protojson error ("proto: (line 1:27): unknown field "x"") for the
// client, naming the field at that position when it can ("invalid JSON at task.priority
// (line 1:27): ...").
func jsonError(data []byte, err error) error {
	msg := err.Error()
	// protojson starts its errors with "proto:" and, at random, a space or a no-break
	// space (so that nobody matches on them); neither helps the client.
	msg = strings.TrimLeft(strings.TrimPrefix(msg, "proto:"), " \u00a0")
	msg = strings.TrimPrefix(msg, "syntax error ")
	if strings.HasPrefix(msg, "(line ") {
		if pos, rest, ok := strings.Cut(msg[len("(line "):], "): "); ok {
			where := "line " + pos
			var line, col int
			if _, err := fmt.Sscanf(pos, "%d:%d", &line, &col); err == nil {
				if path := pathAt(data, line, col); path != "" {
					where = path + " (" + where + ")"
				}
			}
			return errors.New("invalid JSON at " + where + ": " + rest)
		}
	}
	return errors.New("invalid JSON: " + msg)
}

// pathAt returns the path of the field whose key or value is at line:col (1-based, col
// counted in characters, as protojson reports positions) of the JSON data, such as
// "task.reminders[1].at", or "" when there is none.
func pathAt(data []byte, line, col int) string {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return ""
		}
		off += i + 1
	}
	for c := 1; c < col && off < len(data); c++ {
		_, size := utf8.DecodeRune(data[off:])
		off += size
	}
	type level struct {
		object  bool
		key     string
		index   int
		wantKey bool
	}
	var stack []level
	path := func(withKey bool) string {
		var b strings.Builder
		for i, l := range stack {
			switch {
			case l.object && (i < len(stack)-1 || withKey):
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(l.key)
			case !l.object:
				fmt.Fprintf(&b, "[%d]", l.index)
			}
		}
		return b.String()
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return path(len(stack) > 0 && stack[len(stack)-1].object && !stack[len(stack)-1].wantKey)
		}
		end := int(dec.InputOffset())
		top := len(stack) - 1
		isKey := top >= 0 && stack[top].object && stack[top].wantKey && tok != json.Delim('}')
		if isKey {
			stack[top].key, _ = tok.(string)
			stack[top].wantKey = false
			if end > off {
				return path(true)
			}
			continue
		}
		if end > off && tok != json.Delim('}') && tok != json.Delim(']') {
			return path(true)
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, level{object: true, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, level{index: 0})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
			top--
		}
		// A value ended: the enclosing object wants its next key, the array its next item.
		if top >= 0 {
			if stack[top].object {
				stack[top].wantKey = true
			} else {
				stack[top].index++
			}
		}
	}
}
