package pagetoken

import (
	"google.golang.org/protobuf/proto"

	"github.com/taskmesh/taskmesh/pkg/apierr"
)

// Request is a list request: a proto message with the page_token and page_size fields
// every list RPC has. The other fields are its query, which a token is bound to.
type Request interface {
	proto.Message
	GetPageToken() string
	GetPageSize() int32
}

// Page is the page a list request asks for: the cursor it starts after and its size. It
// makes the token of the page that follows, bound to the same query.
type Page[C any] struct {
	// After is the cursor the page starts after; nil for the first page.
	After *C
	// Size is how many rows the page holds at most (PageSize of the request's page_size).
	Size int

	fingerprint string
}

// Start reads the page req asks for. It returns an InvalidArgument error (an
// *apierr.Error naming page_token) for a token that is garbled or was issued for a request
// with other filters, and then the handler must not run the query.
func Start[C any](req Request) (Page[C], error) {
	p := Page[C]{Size: PageSize(req.GetPageSize()), fingerprint: Fingerprint(req)}
	if tok := req.GetPageToken(); tok != "" {
		c, err := Decode[C](tok, p.fingerprint)
		if err != nil {
			return Page[C]{}, InvalidArgument()
		}
		p.After = &c
	}
	return p, nil
}

// NextToken returns the token of the page that starts after next, for the same query as
// this page; "" when next is nil (this page is the last). It fails only when the cursor
// does not marshal to JSON.
func (p Page[C]) NextToken(next *C) (string, error) {
	if next == nil {
		return "", nil
	}
	return Encode(p.fingerprint, *next)
}

// InvalidArgument is the error a list RPC returns for a page_token it cannot use: the
// one Start returns, and the one for a cursor that decodes but that the store then
// cannot read (a key that does not parse).
func InvalidArgument() error {
	return apierr.Invalid("page_token", "page_token.valid", ErrInvalid.Error())
}
