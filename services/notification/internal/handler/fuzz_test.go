package handler_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	notificationv1 "github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1"
	"github.com/taskmesh/taskmesh/pkg/pagetoken"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/services/notification/internal/store"
)

const fuzzPageSize = 2

// fuzzListRequest is one of the two queries (unread_only or not) with page_token token.
func fuzzListRequest(unreadOnly bool, token string) *notificationv1.ListNotificationsRequest {
	return &notificationv1.ListNotificationsRequest{UnreadOnly: unreadOnly, PageSize: fuzzPageSize, PageToken: token}
}

// FuzzListNotificationsPageToken: whatever page_token a client sends, ListNotifications
// answers a page or InvalidArgument on page_token; never Internal, never a panic.
func FuzzListNotificationsPageToken(f *testing.F) {
	e := newEnv(f)
	in := newInbox(f, e, rpctest.GRPC) // binary, so that any string reaches the server
	ctx := context.Background()

	// Real tokens: page through both queries.
	for _, unread := range []bool{false, true} {
		token := ""
		for pages := 0; ; pages++ {
			resp, err := in.u.inbox.ListNotifications(ctx, connect.NewRequest(fuzzListRequest(unread, token)))
			if err != nil {
				f.Fatalf("set-up: unread_only %v after %q: %v", unread, token, err)
			}
			if token = resp.Msg.GetNextPageToken(); token == "" {
				break
			}
			if pages > 10 {
				f.Fatalf("set-up: unread_only %v does not end", unread)
			}
			f.Add(unread, token)
			f.Add(!unread, token) // the other query's token
			if len(token) > 2 {
				f.Add(unread, token[:len(token)-1])
				flipped := []byte(token)
				flipped[len(flipped)/3] ^= 0x01
				f.Add(unread, string(flipped))
			}
		}
	}
	f.Add(false, "")
	f.Add(false, "%%%")
	f.Add(true, strings.Repeat("A", 1024))

	// Crafted tokens with the right fingerprint and a strange cursor.
	craft := func(unread bool, cursorJSON string) {
		fp := pagetoken.Fingerprint(fuzzListRequest(unread, ""))
		f.Add(unread, base64.RawURLEncoding.EncodeToString([]byte(`{"q":"`+fp+`","c":`+cursorJSON+`}`)))
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
		craft(false, c)
		craft(true, c)
	}
	f.Add(false, base64.RawURLEncoding.EncodeToString([]byte(`{"q":1,"c":{}}`)))

	f.Fuzz(func(t *testing.T, unread bool, token string) {
		token = strings.ToValidUTF8(token, "\uFFFD") // proto strings are UTF-8 on the wire
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := in.u.inbox.ListNotifications(ctx, connect.NewRequest(fuzzListRequest(unread, token)))
		if err == nil {
			if n := len(resp.Msg.GetNotifications()); n > fuzzPageSize {
				t.Fatalf("page of %d notifications; page_size is %d", n, fuzzPageSize)
			}
			return
		}
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("ListNotifications(unread_only %v, page_token %q = %s) = %v; want a page or InvalidArgument on page_token",
				unread, token, decodedToken(token), err)
		}
		for _, field := range rpctest.ViolatedFields(t, err) {
			if field == "page_token" {
				return
			}
		}
		t.Fatalf("ListNotifications(page_token %q = %s): InvalidArgument names %v; want page_token", token, decodedToken(token), rpctest.ViolatedFields(t, err))
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
	in := newInbox(t, e, rpctest.Connect)
	req := fuzzListRequest(false, "")
	resp, err := in.u.inbox.ListNotifications(context.Background(), connect.NewRequest(req))
	if err != nil {
		t.Fatal(err)
	}
	c, err := pagetoken.Decode[store.Cursor](resp.Msg.GetNextPageToken(), pagetoken.Fingerprint(req))
	if err != nil {
		t.Fatal(err)
	}
	last := resp.Msg.GetNotifications()[fuzzPageSize-1]
	if c.ID.String() != last.GetId() || !c.CreatedAt.Equal(last.GetCreatedAt().AsTime()) {
		t.Fatalf("cursor %+v; want the last notification of the page (%s at %s)", c, last.GetId(), last.GetCreatedAt().AsTime())
	}
}
