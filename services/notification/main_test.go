package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	notificationv1 "github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1/notificationv1connect"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

func TestRunServesMigratesAndShutsDownGracefully(t *testing.T) {
	base, logs, token, stop := rpctest.StartStandalone(t, run, notificationv1connect.NotificationServiceName)
	ctx := context.Background()
	client := notificationv1connect.NewNotificationServiceClient(http.DefaultClient, base)

	// A token signed by the api's key (the private half of the one run verifies with)
	// reads the freshly migrated, empty inbox.
	req := connect.NewRequest(&notificationv1.ListNotificationsRequest{})
	req.Header().Set("Authorization", "Bearer "+token)
	resp, err := client.ListNotifications(ctx, req)
	if err != nil {
		t.Fatalf("list against a freshly migrated database: %v\n%s", err, logs)
	}
	if n := len(resp.Msg.GetNotifications()); n != 0 || resp.Msg.GetUnreadCount() != 0 {
		t.Fatalf("%d notifications, %d unread in a new database", n, resp.Msg.GetUnreadCount())
	}
	if !strings.Contains(logs.String(), `"procedure":"/taskmesh.notification.v1.NotificationService/ListNotifications"`) {
		t.Fatalf("the request was not logged:\n%s", logs)
	}
	// Without a token: Unauthenticated, not a crash of the standalone service.
	_, err = client.MarkNotificationsRead(ctx, connect.NewRequest(&notificationv1.MarkNotificationsReadRequest{All: true}))
	if connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("MarkNotificationsRead without a token: %v; want Unauthenticated", err)
	}

	if err := stop(); err != nil {
		t.Fatalf("run after shutdown: %v", err)
	}
}

// Settings are checked before anything touches the database: the key first.
func TestRunRefusesToStartWithoutItsSettings(t *testing.T) { rpctest.WantRefusesBadSettings(t, run) }
