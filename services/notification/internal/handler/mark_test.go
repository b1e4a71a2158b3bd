package handler_test

import (
	"context"
	"slices"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"

	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	notificationv1 "github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

func markRequest(all bool, ids ...string) *connect.Request[notificationv1.MarkNotificationsReadRequest] {
	return connect.NewRequest(&notificationv1.MarkNotificationsReadRequest{Ids: ids, All: all})
}

func TestMarkNotificationsRead(t *testing.T) {
	e := newEnv(t)
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			ctx := context.Background()
			in := newInbox(t, e, p) // 7 notifications, 5 unread
			mark := func(req *connect.Request[notificationv1.MarkNotificationsReadRequest], marked, unread int32) {
				t.Helper()
				resp, err := in.u.Client.MarkNotificationsRead(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if resp.Msg.GetMarkedCount() != marked || resp.Msg.GetUnreadCount() != unread {
					t.Fatalf("MarkNotificationsRead(%v) = %v; want marked %d, unread %d", req.Msg, resp.Msg, marked, unread)
				}
			}
			two := []string{in.unread[0], in.unread[3]}
			mark(markRequest(false, two...), 2, 3)
			mark(markRequest(false, two...), 0, 3) // idempotent
			// Already read, unknown and fresh ids together: only the unread one counts.
			mark(markRequest(false, in.read[0].String(), uuid.NewString(), in.unread[1]), 1, 2)
			mark(markRequest(false), 0, 2) // nothing named

			resp, err := in.u.Client.ListNotifications(ctx, listRequest(func(r *notificationv1.ListNotificationsRequest) { r.UnreadOnly = true }))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ids(resp.Msg.GetNotifications()), []string{in.unread[2], in.unread[4]}; !slices.Equal(got, want) || resp.Msg.GetUnreadCount() != 2 {
				t.Fatalf("unread after marking: %v (count %d); want %v", got, resp.Msg.GetUnreadCount(), want)
			}
			all, err := in.u.Client.ListNotifications(ctx, listRequest())
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range all.Msg.GetNotifications() {
				if slices.Contains(two, n.GetId()) && n.GetReadAt() == nil {
					t.Fatalf("notification %s marked read has no read_at", n.GetId())
				}
			}

			// All: ids are then ignored; marking all again marks nothing.
			mark(markRequest(true, uuid.NewString()), 2, 0)
			mark(markRequest(true), 0, 0)
			// A notification arriving afterwards is unread.
			e.notify(in.u.ID, "after")
			mark(markRequest(true), 1, 0)
		})
	}
}

func TestMarkNotificationsReadRejectsBadRequests(t *testing.T) {
	e := newEnv(t)
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			u := e.NewUser(p)
			id := e.notify(u.ID, "x").String()
			many := make([]string, 501)
			for i := range many {
				many[i] = uuid.NewString()
			}
			for _, tc := range []struct {
				name  string
				ids   []string
				field string
			}{
				{"id not a UUID", []string{id, "notification-1"}, "ids[1]"},
				{"repeated id", []string{id, id}, "ids"},
				{"501 ids", many, "ids"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					_, err := u.Client.MarkNotificationsRead(context.Background(), markRequest(false, tc.ids...))
					rpctest.WantInvalid(t, err, tc.field)
				})
			}
			// Nothing half-written.
			resp, err := u.Client.ListNotifications(context.Background(), listRequest())
			if err != nil || resp.Msg.GetUnreadCount() != 1 {
				t.Fatalf("after bad requests: %v, %v; want the notification unread", resp, err)
			}
		})
	}
}

// TestMarkingReadTellsTheUsersOtherPages: a mark that changes something writes one
// TaskUpdateEvent NOTIFICATIONS_READ with the new unread count (for the user's other
// tabs); a mark that changes nothing writes none.
func TestMarkingReadTellsTheUsersOtherPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	in := newInbox(t, e, rpctest.Connect) // 5 unread
	readUpdates := func() []*eventsv1.TaskUpdateEvent {
		var out []*eventsv1.TaskUpdateEvent
		for _, r := range e.outboxOf(in.u.ID) {
			up := &eventsv1.TaskUpdateEvent{}
			if err := protojson.Unmarshal(r.payload, up); err != nil {
				t.Fatal(err)
			}
			if up.GetKind() == eventsv1.TaskUpdateKind_TASK_UPDATE_KIND_NOTIFICATIONS_READ {
				if r.topic != meshnames.TaskUpdates || up.GetEventId() != r.id.String() {
					t.Fatalf("update %v in topic %s with outbox id %s", up, r.topic, r.id)
				}
				out = append(out, up)
			}
		}
		return out
	}
	before := len(readUpdates()) // newInbox marked some read already
	if _, err := in.u.Client.MarkNotificationsRead(ctx, markRequest(false, in.unread[0])); err != nil {
		t.Fatal(err)
	}
	if _, err := in.u.Client.MarkNotificationsRead(ctx, markRequest(false, in.unread[0])); err != nil { // changes nothing
		t.Fatal(err)
	}
	got := readUpdates()[before:]
	if len(got) != 1 || got[0].GetNotificationsRead().GetUnreadCount() != 4 || got[0].GetUserId() != in.u.ID.String() || got[0].GetChangeSeq() != 0 {
		t.Fatalf("updates after two marks = %v; want one, unread count 4", got)
	}
}
