// Package pagetoken makes the opaque page tokens of list RPCs: a keyset cursor bound to the
// query it was issued for, so that a token cannot be replayed against other filters.
//
// Tokens are not secret (every query is scoped to the caller anyway) but are checked: a
// token that is garbled, or that belongs to another query, is rejected with ErrInvalid.
package pagetoken

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// DefaultPageSize is the page size of list RPCs whose request sets none (0).
const DefaultPageSize = 50

// PageSize is the page size to use for a request's page_size (validated by the proto to
// be within its maximum): DefaultPageSize when it is 0.
func PageSize(requested int32) int {
	if requested <= 0 {
		return DefaultPageSize
	}
	return int(requested)
}

// ErrInvalid is returned for a token that cannot be decoded or does not fit the query.
var ErrInvalid = errors.New("page_token is invalid or belongs to another query")

type envelope[C any] struct {
	Query  string `json:"q"`
	Cursor C      `json:"c"`
}

// Fingerprint identifies a list request apart from its paging: it hashes the request with
// its page_token and page_size fields cleared.
func Fingerprint(req proto.Message) string {
	m := proto.Clone(req)
	r := m.ProtoReflect()
	for _, name := range []protoreflect.Name{"page_token", "page_size"} {
		if fd := r.Descriptor().Fields().ByName(name); fd != nil {
			r.Clear(fd)
		}
	}
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// Encode returns the token for cursor within the query of fingerprint.
func Encode[C any](fingerprint string, cursor C) (string, error) {
	b, err := json.Marshal(envelope[C]{Query: fingerprint, Cursor: cursor})
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Decode returns the cursor of token, or ErrInvalid when token is malformed or was issued
// for a query with another fingerprint.
func Decode[C any](token, fingerprint string) (C, error) {
	var env envelope[C]
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return env.Cursor, ErrInvalid
	}
	if err := json.Unmarshal(b, &env); err != nil || env.Query != fingerprint {
		var zero C
		return zero, ErrInvalid
	}
	return env.Cursor, nil
}
