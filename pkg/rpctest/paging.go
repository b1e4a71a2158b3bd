package rpctest

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/taskmesh/taskmesh/pkg/pagetoken"
)

// ListFunc is a list RPC of a generated client, such as
// AuditServiceClient.ListAuditEntries: its request has page_size and page_token fields,
// its response a next_page_token.
type ListFunc[Req, Resp any] func(context.Context, *connect.Request[Req]) (*connect.Response[Resp], error)

// maxPages bounds paging in tests: a query that has not ended by then never will.
const maxPages = 50

// ListAll pages through every item of query (a list request) with page size size (its
// own page_size is ignored), from its page_token (the first page when empty), following
// next_page_token until a page has none, and returns the items of every page in order.
// It fails the test on an error, on a page of more than size items, and when paging does
// not end within 50 pages.
func ListAll[Req, Resp, Item any](tb testing.TB, list ListFunc[Req, Resp], query *Req, size int32, items func(*Resp) []Item) []Item {
	tb.Helper()
	var all []Item
	token := pageToken(tb, query)
	for pages := 0; ; pages++ {
		if pages > maxPages {
			tb.Fatal("paging does not end")
		}
		resp, err := list(context.Background(), connect.NewRequest(withPage(tb, query, size, token)))
		if err != nil {
			tb.Fatalf("page %d: %v", pages, err)
		}
		page := items(resp.Msg)
		if len(page) > int(size) {
			tb.Fatalf("page of %d items; page_size is %d", len(page), size)
		}
		all = append(all, page...)
		if token = nextPageToken(tb, resp.Msg); token == "" {
			return all
		}
	}
}

// FirstPageCursor lists the first page of query (page size size) and decodes its
// next_page_token as the handler made it, so that a test can check that the cursor is
// the page's last item. It fails the test on an error and when there is no next page.
func FirstPageCursor[C, Req, Resp any](tb testing.TB, list ListFunc[Req, Resp], query *Req, size int32) (C, *Resp) {
	tb.Helper()
	req := withPage(tb, query, size, "")
	resp, err := list(context.Background(), connect.NewRequest(req))
	if err != nil {
		tb.Fatal(err)
	}
	c, err := pagetoken.Decode[C](nextPageToken(tb, resp.Msg), pagetoken.Fingerprint(message(tb, req)))
	if err != nil {
		tb.Fatalf("next_page_token of the first page: %v", err)
	}
	return c, resp.Msg
}

// PageTokenFuzz is a list RPC for FuzzPageToken.
type PageTokenFuzz[Req, Resp any] struct {
	// List calls the RPC as a user who has more than a page of items in every query. Over
	// gRPC (binary protobuf) any string reaches the server.
	List ListFunc[Req, Resp]
	// Queries are a few list requests with different filters (page fields unset); the
	// fuzzer picks one by its index, modulo their number.
	Queries []*Req
	// Items counts the items of a page.
	Items func(*Resp) int
	// Cursors are the JSON of strange cursors: each is sealed in a token with the right
	// fingerprint for every query, so that the fuzzer starts past the fingerprint check.
	Cursors []string
}

// fuzzPageSize is small, so that the few items of a test user make several pages.
const fuzzPageSize = 2

// FuzzPageToken fuzzes the page_token of a list RPC: whatever token a client sends, the
// RPC answers a page of at most page_size items, or InvalidArgument naming page_token;
// never another error, never a panic. The corpus starts with real tokens of every query
// (paged through), the same used with another query, cut short and with a bit flipped,
// garbage, and fz.Cursors sealed with each query's fingerprint.
func FuzzPageToken[Req, Resp any](f *testing.F, fz PageTokenFuzz[Req, Resp]) {
	f.Helper()
	ctx := context.Background()
	n := uint8(len(fz.Queries))
	for q := range n {
		token := ""
		for pages := 0; ; pages++ {
			resp, err := fz.List(ctx, connect.NewRequest(withPage(f, fz.Queries[q], fuzzPageSize, token)))
			if err != nil {
				f.Fatalf("set-up: query %d after %q: %v", q, token, err)
			}
			if token = nextPageToken(f, resp.Msg); token == "" {
				break
			}
			if pages > maxPages {
				f.Fatalf("set-up: query %d does not end", q)
			}
			f.Add(q, token)
			f.Add(q+1, token) // another query's token
			if len(token) > 2 {
				f.Add(q, token[:len(token)-1])
				flipped := []byte(token)
				flipped[len(flipped)/3] ^= 0x01
				f.Add(q, string(flipped))
			}
		}
		fp := pagetoken.Fingerprint(message(f, withPage(f, fz.Queries[q], 0, "")))
		for _, c := range fz.Cursors {
			f.Add(q, base64.RawURLEncoding.EncodeToString([]byte(`{"q":"`+fp+`","c":`+c+`}`)))
		}
	}
	f.Add(uint8(0), "")
	f.Add(uint8(0), "%%%")
	f.Add(uint8(0), strings.Repeat("A", 1024))
	f.Add(uint8(0), base64.RawURLEncoding.EncodeToString([]byte(`{"q":1,"c":{}}`)))

	f.Fuzz(func(t *testing.T, q uint8, token string) {
		token = strings.ToValidUTF8(token, "\uFFFD") // proto strings are UTF-8 on the wire
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := fz.List(ctx, connect.NewRequest(withPage(t, fz.Queries[q%n], fuzzPageSize, token)))
		if err == nil {
			if got := fz.Items(resp.Msg); got > fuzzPageSize {
				t.Fatalf("page of %d items; page_size is %d", got, fuzzPageSize)
			}
			return
		}
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("query %d, page_token %q = %s: %v; want a page or InvalidArgument on page_token",
				q%n, token, decodedToken(token), err)
		}
		fields := ViolatedFields(t, err)
		for _, field := range fields {
			if field == "page_token" {
				return
			}
		}
		t.Fatalf("page_token %q = %s: InvalidArgument names %v; want page_token", token, decodedToken(token), fields)
	})
}

// TimeIDCursors are strange cursors for FuzzPageToken of a keyset cursor
// {"t": RFC 3339 time, "i": UUID}, the cursor of lists ordered newest first.
var TimeIDCursors = func() []string {
	const id = `"0195d3c4-7b1e-7c4a-9f1e-2d3c4b5a6978"`
	return []string{
		`null`, `[]`, `{}`, `"x"`,
		`{"t":"2026-03-14T09:29:53.589793Z","i":` + id + `}`,
		`{"t":"0000-01-01T00:00:00Z","i":` + id + `}`,              // year 0
		`{"t":"9999-12-31T23:59:59.999999999Z","i":` + id + `}`,    // the last nanosecond
		`{"t":"2026-01-01T00:00:00+23:59","i":` + id + `}`,         // extreme offset
		`{"t":"2026-02-30T00:00:00Z","i":` + id + `}`,              // no such day
		`{"t":"10000-01-01T00:00:00Z","i":` + id + `}`,             // five-digit year
		`{"t":12,"i":` + id + `}`,                                  // wrong type of time
		`{"t":"2026-01-01T00:00:00Z","i":42}`,                      // wrong type of id
		`{"t":"2026-01-01T00:00:00Z","i":"not-a-uuid"}`,            // bad id
		`{"t":"2026-01-01T00:00:00Z"}`,                             // no id
		`{"i":` + id + `}`,                                         // no time
		`{"t":"2026-01-01T00:00:00Z","i":` + id + `,"x":1e999999}`, // huge number, unknown key
		"{\"t\\u0000\":\"x\",\"i\":" + id + "}",                    // NUL in a key
	}
}()

// withPage returns a copy of query with page_size size and page_token token.
func withPage[Req any](tb testing.TB, query *Req, size int32, token string) *Req {
	tb.Helper()
	m := proto.Clone(message(tb, query))
	r := m.ProtoReflect()
	fields := r.Descriptor().Fields()
	sizeField, tokenField := fields.ByName("page_size"), fields.ByName("page_token")
	if sizeField == nil || tokenField == nil {
		tb.Fatalf("%s has no page_size and page_token", r.Descriptor().FullName())
	}
	r.Set(sizeField, protoreflect.ValueOfInt32(size))
	r.Set(tokenField, protoreflect.ValueOfString(token))
	return any(m).(*Req)
}

// pageToken reads a list request's page_token.
func pageToken[Req any](tb testing.TB, req *Req) string {
	tb.Helper()
	r, ok := any(req).(interface{ GetPageToken() string })
	if !ok {
		tb.Fatalf("%T has no page_token", req)
	}
	return r.GetPageToken()
}

// message is req as a proto message; list requests always are.
func message[Req any](tb testing.TB, req *Req) proto.Message {
	m, ok := any(req).(proto.Message)
	if !ok {
		tb.Fatalf("%T is not a proto message", req)
	}
	return m
}

// nextPageToken reads a list response's next_page_token.
func nextPageToken[Resp any](tb testing.TB, resp *Resp) string {
	tb.Helper()
	r, ok := any(resp).(interface{ GetNextPageToken() string })
	if !ok {
		tb.Fatalf("%T has no next_page_token", resp)
	}
	return r.GetNextPageToken()
}

// decodedToken shows what a token carries, for failure messages.
func decodedToken(token string) string {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "(not base64url)"
	}
	return fmt.Sprintf("%q", b)
}

// WantPagingChecked fails the test unless list checks the page fields of query (a list
// request whose first page of 2 items has a next page): InvalidArgument naming
// page_token for garbage, a truncated token, a token of otherQuery's results and a token
// over 1,024 characters; InvalidArgument naming page_size for maxSize+1 and -1; and a
// page for page_size maxSize.
func WantPagingChecked[Req, Resp any](t *testing.T, list ListFunc[Req, Resp], query, otherQuery *Req, maxSize int32) {
	t.Helper()
	ctx := context.Background()
	first, err := list(ctx, connect.NewRequest(withPage(t, query, 2, "")))
	if err != nil {
		t.Fatal(err)
	}
	token := nextPageToken(t, first.Msg)
	if token == "" {
		t.Fatal("the first page of 2 is the last: no token to tamper with")
	}
	for _, tc := range []struct {
		name  string
		req   *Req
		field string
	}{
		{"garbage page_token", withPage(t, query, 0, "%%% not a token"), "page_token"},
		{"truncated page_token", withPage(t, query, 0, token[:len(token)/2]), "page_token"},
		{"page_token of another query", withPage(t, otherQuery, 0, token), "page_token"},
		{"page_token too long", withPage(t, query, 0, strings.Repeat("a", 1025)), "page_token"},
		{fmt.Sprintf("page_size %d", maxSize+1), withPage(t, query, maxSize+1, ""), "page_size"},
		{"negative page_size", withPage(t, query, -1, ""), "page_size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := list(ctx, connect.NewRequest(tc.req))
			WantInvalid(t, err, tc.field)
		})
	}
	// page_size at its bound is fine.
	if _, err := list(ctx, connect.NewRequest(withPage(t, query, maxSize, ""))); err != nil {
		t.Fatalf("page_size %d: %v", maxSize, err)
	}
}
