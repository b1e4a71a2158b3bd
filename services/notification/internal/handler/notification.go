// Package handler serves the notification service: NotificationService (the caller's
// inbox) and the consumer that turns fired reminders into notifications.
package handler

import (
	"context"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	notificationv1 "github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1/notificationv1connect"
	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/pagetoken"
	"github.com/taskmesh/taskmesh/services/notification/internal/store"
)

// NotificationServer implements NotificationService.
type NotificationServer struct {
	store *store.Store
}

var _ notificationv1connect.NotificationServiceHandler = (*NotificationServer)(nil)

// NewNotificationServer returns a NotificationServer on st.
func NewNotificationServer(st *store.Store) *NotificationServer {
	return &NotificationServer{store: st}
}

// ListNotifications implements NotificationService.ListNotifications: the caller's
// notifications only, newest first, with the caller's unread count. It returns
// InvalidArgument for a page_token that is garbled or was issued for another query.
func (s *NotificationServer) ListNotifications(ctx context.Context, req *connect.Request[notificationv1.ListNotificationsRequest]) (*connect.Response[notificationv1.ListNotificationsResponse], error) {
	userID, err := authn.UserID(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	page, err := pagetoken.Start[store.Cursor](m)
	if err != nil {
		return nil, err
	}
	list, err := s.store.List(ctx, userID, m.GetUnreadOnly(), page.Size, page.After)
	if err != nil {
		return nil, err
	}
	resp := &notificationv1.ListNotificationsResponse{Notifications: list.Notifications, UnreadCount: list.UnreadCount}
	if resp.NextPageToken, err = page.NextToken(list.Next); err != nil {
		return nil, err
	}
	return connect.NewResponse(resp), nil
}

// MarkNotificationsRead implements NotificationService.MarkNotificationsRead: it marks
// the caller's notifications among ids (or all of them) read. Ids that are not the
// caller's, unknown ones and read ones are ignored; marking twice marks nothing the
// second time.
func (s *NotificationServer) MarkNotificationsRead(ctx context.Context, req *connect.Request[notificationv1.MarkNotificationsReadRequest]) (*connect.Response[notificationv1.MarkNotificationsReadResponse], error) {
	userID, err := authn.UserID(ctx)
	if err != nil {
		return nil, err
	}
	var marked, unread int32
	if req.Msg.GetAll() {
		marked, unread, err = s.store.MarkAllRead(ctx, userID)
	} else {
		ids := make([]uuid.UUID, len(req.Msg.GetIds()))
		for i, raw := range req.Msg.GetIds() {
			if ids[i], err = uuid.Parse(raw); err != nil { // protovalidate checked the format
				return nil, apierr.Invalid("ids", "string.uuid", "value must be a valid UUID")
			}
		}
		marked, unread, err = s.store.MarkRead(ctx, userID, ids)
	}
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&notificationv1.MarkNotificationsReadResponse{MarkedCount: marked, UnreadCount: unread}), nil
}
