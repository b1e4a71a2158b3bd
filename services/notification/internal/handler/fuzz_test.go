package handler_test

import (
	"testing"

	notificationv1 "github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/services/notification/internal/store"
)

// FuzzListNotificationsPageToken: whatever page_token a client sends, ListNotifications
// answers a page or InvalidArgument on page_token; never Internal, never a panic.
func FuzzListNotificationsPageToken(f *testing.F) {
	in := newInbox(f, newEnv(f), rpctest.GRPC)
	rpctest.FuzzPageToken(f, rpctest.PageTokenFuzz[notificationv1.ListNotificationsRequest, notificationv1.ListNotificationsResponse]{
		List:    in.u.Client.ListNotifications,
		Queries: []*notificationv1.ListNotificationsRequest{{}, {UnreadOnly: true}},
		Items:   func(r *notificationv1.ListNotificationsResponse) int { return len(r.GetNotifications()) },
		Cursors: rpctest.TimeIDCursors,
	})
}

// A real token decodes to a store.Cursor: the fuzz seeds above are realistic.
func TestPageTokenCarriesTheKeysetCursor(t *testing.T) {
	in := newInbox(t, newEnv(t), rpctest.Connect)
	c, page := rpctest.FirstPageCursor[store.Cursor](t, in.u.Client.ListNotifications, &notificationv1.ListNotificationsRequest{}, 2)
	last := page.GetNotifications()[len(page.GetNotifications())-1]
	if c.ID.String() != last.GetId() || !c.CreatedAt.Equal(last.GetCreatedAt().AsTime()) {
		t.Fatalf("cursor %+v; want the last notification of the page (%s at %s)", c, last.GetId(), last.GetCreatedAt().AsTime())
	}
}
