package handler_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1"
	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	"github.com/taskmesh/taskmesh/pkg/pagetoken"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/services/audit/internal/store"
)

const fuzzPageSize = 2

// fuzzListRequest is one of a few queries (by filters mod 4) with page_token token.
func fuzzListRequest(h *history, filters uint8, token string) *auditv1.ListAuditEntriesRequest {
	r := &auditv1.ListAuditEntriesRequest{PageSize: fuzzPageSize, PageToken: token}
	switch filters % 4 {
	case 1:
		r.TaskId = h.taskB.String()
	case 2:
		r.Types = []eventsv1.TaskEventType{updated, done}
	case 3:
		r.OccurredAfter, r.OccurredBefore = timestamppb.New(base.Add(time.Minute)), timestamppb.New(base.Add(time.Hour))
	}
	return r
}

// FuzzListAuditEntriesPageToken: whatever page_token a client sends, ListAuditEntries
// answers a page or InvalidArgument on page_token; never Internal, never a panic.
func FuzzListAuditEntriesPageToken(f *testing.F) {
	e := newEnv(f)
	h := newHistory(f, e, rpctest.GRPC) // binary, so that any string reaches the server
	ctx := context.Background()

	// Real tokens: page through every query.
	for filters := range uint8(4) {
		token := ""
		for pages := 0; ; pages++ {
			resp, err := h.u.audit.ListAuditEntries(ctx, connect.NewRequest(fuzzListRequest(h, filters, token)))
			if err != nil {
				f.Fatalf("set-up: query %d after %q: %v", filters, token, err)
			}
			if token = resp.Msg.GetNextPageToken(); token == "" {
				break
			}
			if pages > 10 {
				f.Fatalf("set-up: query %d does not end", filters)
			}
			f.Add(filters, token)
			f.Add(filters+1, token) // another query's token
			if len(token) > 2 {
				f.Add(filters, token[:len(token)-1])
				flipped := []byte(token)
				flipped[len(flipped)/3] ^= 0x01
				f.Add(filters, string(flipped))
			}
		}
	}
	f.Add(uint8(0), "")
	f.Add(uint8(0), "%%%")
	f.Add(uint8(0), strings.Repeat("A", 1024))

	// Crafted tokens with the right fingerprint and a strange cursor.
	craft := func(filters uint8, cursorJSON string) {
		fp := pagetoken.Fingerprint(fuzzListRequest(h, filters, ""))
		f.Add(filters, base64.RawURLEncoding.EncodeToString([]byte(`{"q":"`+fp+`","c":`+cursorJSON+`}`)))
	}
	const id = `"0195d3c4-7b1e-7c4a-9f1e-2d3c4b5a6978"`
	for _, c := range []string{
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
	} {
		craft(0, c)
	}
	f.Add(uint8(0), base64.RawURLEncoding.EncodeToString([]byte(`{"q":1,"c":{}}`)))

	f.Fuzz(func(t *testing.T, filters uint8, token string) {
		token = strings.ToValidUTF8(token, "\uFFFD") // proto strings are UTF-8 on the wire
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req := fuzzListRequest(h, filters, token)
		resp, err := h.u.audit.ListAuditEntries(ctx, connect.NewRequest(req))
		if err == nil {
			if n := len(resp.Msg.GetEntries()); n > fuzzPageSize {
				t.Fatalf("page of %d entries; page_size is %d", n, fuzzPageSize)
			}
			return
		}
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("ListAuditEntries(query %d, page_token %q = %s) = %v; want a page or InvalidArgument on page_token",
				filters%4, token, decodedToken(token), err)
		}
		for _, field := range rpctest.ViolatedFields(t, err) {
			if field == "page_token" {
				return
			}
		}
		t.Fatalf("ListAuditEntries(page_token %q = %s): InvalidArgument names %v; want page_token", token, decodedToken(token), rpctest.ViolatedFields(t, err))
	})
}

// decodedToken shows what a token carries, for failure messages.
func decodedToken(token string) string {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "(not base64url)"
	}
	return fmt.Sprintf("%q", b)
}

// A real token decodes to a store.Cursor: the fuzz seeds above are realistic.
func TestPageTokenCarriesTheKeysetCursor(t *testing.T) {
	e := newEnv(t)
	h := newHistory(t, e, rpctest.Connect)
	req := fuzzListRequest(h, 0, "")
	resp, err := h.u.audit.ListAuditEntries(context.Background(), connect.NewRequest(req))
	if err != nil {
		t.Fatal(err)
	}
	c, err := pagetoken.Decode[store.Cursor](resp.Msg.GetNextPageToken(), pagetoken.Fingerprint(req))
	if err != nil {
		t.Fatal(err)
	}
	last := resp.Msg.GetEntries()[fuzzPageSize-1]
	if c.ID.String() != last.GetId() || !c.OccurredAt.Equal(last.GetOccurredAt().AsTime()) {
		t.Fatalf("cursor %+v; want the last entry of the page (%s at %s)", c, last.GetId(), last.GetOccurredAt().AsTime())
	}
}
