package handler_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	notificationv1 "github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

func listRequest(edits ...func(*notificationv1.ListNotificationsRequest)) *connect.Request[notificationv1.ListNotificationsRequest] {
	return rpctest.NewRequest(edits...)
}

// inbox is a user's notifications: seven, three of them created at the same moment so
// that the id decides their order, and two (one of the tied ones) read.
type inbox struct {
	u      *user
	ids    []uuid.UUID // in creation order, oldest first
	read   []uuid.UUID
	newest []string // every id, in the order of ListNotifications
	unread []string // the unread ids, in the order of ListNotifications(unread_only)
}

// newInbox fills an inbox for a new user whose client speaks p.
func newInbox(t testing.TB, e *env, p rpctest.Protocol) *inbox {
	t.Helper()
	in := &inbox{u: e.NewUser(p)}
	for i := range 7 {
		in.ids = append(in.ids, e.notify(in.u.ID, fmt.Sprintf("reminder %d", i)))
	}
	tie := base.Add(3 * time.Minute)
	at := []time.Time{base, base.Add(time.Minute), base.Add(2 * time.Minute), tie, tie, tie, base.Add(4 * time.Minute)}
	for i, id := range in.ids {
		e.setCreated(at[i], id)
	}
	in.read = []uuid.UUID{in.ids[1], in.ids[4]}
	resp, err := in.u.Client.MarkNotificationsRead(context.Background(), connect.NewRequest(&notificationv1.MarkNotificationsReadRequest{
		Ids: []string{in.read[0].String(), in.read[1].String()},
	}))
	if err != nil || resp.Msg.GetMarkedCount() != 2 {
		t.Fatalf("mark two read: %v, %v", resp, err)
	}
	// Newest first; the tied three by id, descending.
	tied := []uuid.UUID{in.ids[3], in.ids[4], in.ids[5]}
	slices.SortFunc(tied, func(a, b uuid.UUID) int { return strings.Compare(b.String(), a.String()) })
	order := append(append([]uuid.UUID{in.ids[6]}, tied...), in.ids[2], in.ids[1], in.ids[0])
	for _, id := range order {
		in.newest = append(in.newest, id.String())
		if !slices.Contains(in.read, id) {
			in.unread = append(in.unread, id.String())
		}
	}
	return in
}

// ids lists the ids of ns, in order.
func ids(ns []*notificationv1.Notification) []string {
	return rpctest.Values(ns, (*notificationv1.Notification).GetId)
}

// listAll pages through every notification of req with page size size.
func listAll(t *testing.T, u *user, req *notificationv1.ListNotificationsRequest, size int32) []*notificationv1.Notification {
	t.Helper()
	return rpctest.ListAll(t, u.Client.ListNotifications, req, size, (*notificationv1.ListNotificationsResponse).GetNotifications)
}

func TestListNotificationsNewestFirstUnreadOnlyAndPaged(t *testing.T) {
	e := newEnv(t)
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			in := newInbox(t, e, p)
			for _, tc := range []struct {
				name   string
				unread bool
				want   []string
			}{
				{"everything", false, in.newest},
				{"unread only", true, in.unread},
			} {
				t.Run(tc.name, func(t *testing.T) {
					req := &notificationv1.ListNotificationsRequest{UnreadOnly: tc.unread}
					resp, err := in.u.Client.ListNotifications(context.Background(), connect.NewRequest(req))
					if err != nil {
						t.Fatal(err)
					}
					if got := ids(resp.Msg.GetNotifications()); !slices.Equal(got, tc.want) {
						t.Fatalf("got  %v\nwant %v", got, tc.want)
					}
					if resp.Msg.GetNextPageToken() != "" {
						t.Fatalf("next_page_token %q on a single page", resp.Msg.GetNextPageToken())
					}
					if got := resp.Msg.GetUnreadCount(); got != 5 {
						t.Fatalf("unread_count %d; want 5", got)
					}
					for _, n := range resp.Msg.GetNotifications() {
						wasRead := slices.Contains(in.read, uuid.MustParse(n.GetId()))
						if (n.GetReadAt() != nil) != wasRead {
							t.Fatalf("notification %s read_at %v; read: %v", n.GetId(), n.GetReadAt(), wasRead)
						}
					}
					// The same through pages of every size: the ties split across pages.
					for size := int32(1); size <= int32(len(tc.want))+1; size++ {
						if got := ids(listAll(t, in.u, req, size)); !slices.Equal(got, tc.want) {
							t.Fatalf("paged by %d: %v\nwant        %v", size, got, tc.want)
						}
					}
				})
			}
		})
	}
}

func TestListNotificationsPagesByKeyset(t *testing.T) {
	e := newEnv(t)
	in := newInbox(t, e, rpctest.Connect)
	ctx := context.Background()
	first, err := in.u.Client.ListNotifications(ctx, listRequest(func(r *notificationv1.ListNotificationsRequest) { r.PageSize = 2 }))
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Msg.GetNotifications()) != 2 || first.Msg.GetNextPageToken() == "" {
		t.Fatalf("first page of 2: %d notifications, token %q", len(first.Msg.GetNotifications()), first.Msg.GetNextPageToken())
	}
	// A notification arriving while the user pages does not shift the pages: the cursor
	// is a keyset, not an offset. It shows up in the unread count at once.
	e.notify(in.u.ID, "new")
	rest := listAll(t, in.u, &notificationv1.ListNotificationsRequest{PageToken: first.Msg.GetNextPageToken()}, 2)
	if got := append(ids(first.Msg.GetNotifications()), ids(rest)...); !slices.Equal(got, in.newest) {
		t.Fatalf("paging across a new notification: %v\nwant %v", got, in.newest)
	}
	resp, err := in.u.Client.ListNotifications(ctx, listRequest())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Msg.GetUnreadCount() != 6 || len(resp.Msg.GetNotifications()) != 8 || resp.Msg.GetNotifications()[0].GetTitle() != "new" {
		t.Fatalf("after a new notification: %d notifications, first %q, unread %d; want 8, the new one, 6",
			len(resp.Msg.GetNotifications()), resp.Msg.GetNotifications()[0].GetTitle(), resp.Msg.GetUnreadCount())
	}
}

func TestListNotificationsDefaultPageSizeIs50(t *testing.T) {
	e := newEnv(t)
	u := e.NewUser(rpctest.GRPC)
	for i := range 51 {
		e.notify(u.ID, fmt.Sprint(i))
	}
	resp, err := u.Client.ListNotifications(context.Background(), listRequest())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.Msg.GetNotifications()); n != 50 || resp.Msg.GetNextPageToken() == "" || resp.Msg.GetUnreadCount() != 51 {
		t.Fatalf("default page: %d notifications, token %q, unread %d; want 50, a token, 51",
			n, resp.Msg.GetNextPageToken(), resp.Msg.GetUnreadCount())
	}
}

func TestNotificationsOfOneUserAreInvisibleToAnother(t *testing.T) {
	e := newEnv(t)
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			a := newInbox(t, e, p)
			b := e.NewUser(p)
			ctx := context.Background()
			for _, req := range []*notificationv1.ListNotificationsRequest{{}, {UnreadOnly: true}} {
				resp, err := b.Client.ListNotifications(ctx, connect.NewRequest(req))
				if err != nil {
					t.Fatal(err)
				}
				if n := len(resp.Msg.GetNotifications()); n != 0 || resp.Msg.GetUnreadCount() != 0 {
					t.Fatalf("user B listing %v sees %d of A's notifications, unread %d", req, n, resp.Msg.GetUnreadCount())
				}
			}
			// A's page token is bound to A's query, not A: B replaying it sees only B's
			// (no) notifications.
			first, err := a.u.Client.ListNotifications(ctx, listRequest(func(r *notificationv1.ListNotificationsRequest) { r.PageSize = 1 }))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := b.Client.ListNotifications(ctx, listRequest(func(r *notificationv1.ListNotificationsRequest) {
				r.PageSize, r.PageToken = 1, first.Msg.GetNextPageToken()
			}))
			if err != nil {
				t.Fatal(err)
			}
			if n := len(resp.Msg.GetNotifications()); n != 0 {
				t.Fatalf("user B replaying A's page token sees %d of A's notifications", n)
			}
			// B marking A's ids, or everything, marks nothing of A's.
			marked, err := b.Client.MarkNotificationsRead(ctx, connect.NewRequest(&notificationv1.MarkNotificationsReadRequest{Ids: a.unread}))
			if err != nil {
				t.Fatal(err)
			}
			if marked.Msg.GetMarkedCount() != 0 || marked.Msg.GetUnreadCount() != 0 {
				t.Fatalf("user B marking A's ids: %v; want nothing marked", marked.Msg)
			}
			if _, err := b.Client.MarkNotificationsRead(ctx, connect.NewRequest(&notificationv1.MarkNotificationsReadRequest{All: true})); err != nil {
				t.Fatal(err)
			}
			mine, err := a.u.Client.ListNotifications(ctx, listRequest(func(r *notificationv1.ListNotificationsRequest) { r.UnreadOnly = true }))
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(mine.Msg.GetNotifications()); !slices.Equal(got, a.unread) || mine.Msg.GetUnreadCount() != 5 {
				t.Fatalf("A's unread after B marked: %v (count %d); want %v", got, mine.Msg.GetUnreadCount(), a.unread)
			}
		})
	}
}

func TestNotificationServiceNeedsAValidAccessToken(t *testing.T) {
	e := newEnv(t)
	u := e.NewUser(rpctest.Connect)
	e.notify(u.ID, "secret")
	for _, p := range rpctest.Protocols {
		for name, token := range rpctest.BadTokens(t, u.ID) {
			t.Run(p.Name+"/"+name, func(t *testing.T) {
				c := e.WithToken(p, token)
				_, err := c.ListNotifications(context.Background(), listRequest())
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
				_, err = c.MarkNotificationsRead(context.Background(), connect.NewRequest(&notificationv1.MarkNotificationsReadRequest{All: true}))
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
			})
		}
	}
	resp, err := e.As(u.ID, rpctest.Connect).Client.ListNotifications(context.Background(), listRequest())
	if err != nil || resp.Msg.GetUnreadCount() != 1 {
		t.Fatalf("after unauthenticated calls: %v, %v; want the notification still unread", resp, err)
	}
}

func TestListNotificationsRejectsBadRequests(t *testing.T) {
	e := newEnv(t)
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			in := newInbox(t, e, p)
			rpctest.WantPagingChecked(t, in.u.Client.ListNotifications,
				&notificationv1.ListNotificationsRequest{}, &notificationv1.ListNotificationsRequest{UnreadOnly: true}, 200)
		})
	}
}
