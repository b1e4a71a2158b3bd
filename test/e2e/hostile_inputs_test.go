package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1/auditv1connect"
	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/task/v1/taskv1connect"
	"github.com/taskmesh/taskmesh/pkg/devmesh"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

func init() { registerHostile("9.5 canonical inputs", hostileInputs) }

// goTypeName matches a Go type of a server in an error message ("*taskv1.Task").
var goTypeName = regexp.MustCompile(`\*[a-z][a-z0-9]*\.[A-Z]|[a-z]+v1\.[A-Z]`)

// postToGateway sends body to procedure through the gateway as curl would (Connect
// unary, Connect-Protocol-Version: 1) and returns the HTTP status, Connect code and
// message.
func postToGateway(t *testing.T, m *devmesh.Mesh, token, procedure, contentType string, body []byte) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, m.WebURL+"/"+procedure, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Connect-Protocol-Version", "1")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var wire struct{ Code, Message string }
	_ = json.Unmarshal(out, &wire)
	return resp.StatusCode, wire.Code, wire.Message
}

// attackerView is what the attacker can read of its own data: every task (deleted ones
// too) and every tag.
func attackerView(t *testing.T, u *user) []proto.Message {
	t.Helper()
	ctx := context.Background()
	tasks, err := u.tasks.ListTasks(ctx, connect.NewRequest(&taskv1.ListTasksRequest{IncludeDeleted: true, PageSize: 200}))
	if err != nil {
		t.Fatalf("the attacker's ListTasks: %v", err)
	}
	tags, err := u.tags.ListTags(ctx, connect.NewRequest(&taskv1.ListTagsRequest{}))
	if err != nil {
		t.Fatalf("the attacker's ListTags: %v", err)
	}
	return []proto.Message{tasks.Msg, tags.Msg}
}

// hostileInputs (issue 9.5): bodies with unknown enum names, misspelt fields, garbled
// bytes, timestamps outside years 1 to 9999, series that cannot run in the user's zone,
// invisible and unnormalized names, and one tag id in two cases, sent through the gateway.
// Each answers InvalidArgument naming the field (or AlreadyExists for a name that is
// canonically one the user has), with no Go type in the message, and the attacker's own
// tasks and tags are unchanged afterwards.
func hostileInputs(t *testing.T, m *devmesh.Mesh, _ *user) {
	ctx := context.Background()
	u := signUp(t, m.WebURL, false)    // Connect with JSON, as curl and the docs do; Europe/Paris
	bin := grpcClients(t, m.WebURL, u) // the same user over gRPC, for what JSON cannot carry

	// The attacker's own data, made before the snapshot: "Work" and "Café" (sent in NFD,
	// stored in NFC), and a task that names "Work" by its id in upper case.
	work, err := u.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: "Work"}))
	if err != nil {
		t.Fatal(err)
	}
	cafe, err := u.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: "Cafe\u0301"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := cafe.Msg.GetTag().GetName(); got != "Caf\u00e9" {
		t.Fatalf("tag stored as %q; want NFC %q", got, "Caf\u00e9")
	}
	workID := work.Msg.GetTag().GetId()
	upper := strings.ToUpper(workID)
	task, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "\u200bplan\u200b", TagIds: []string{upper}}}))
	if err != nil {
		t.Fatalf("a task naming its tag by the upper-case id: %v", err)
	}
	if got := task.Msg.GetTask(); got.GetTitle() != "plan" || len(got.GetTagIds()) != 1 || got.GetTagIds()[0] != workID {
		t.Fatalf("task = %q %v; want title \"plan\" and tag %s", got.GetTitle(), got.GetTagIds(), workID)
	}
	before := attackerView(t, u)
	// After each refusal the attacker's valid requests still work, on every service: a
	// run of refusals must not shut anyone out. (It did: daprd's circuit breaker counted
	// each InvalidArgument as a failure of the app and opened after six, for every user.)
	succeed := func(t *testing.T) {
		t.Helper()
		if _, err := u.tags.ListTags(ctx, connect.NewRequest(&taskv1.ListTagsRequest{})); err != nil {
			t.Fatalf("a valid request after a refused one: %v", err)
		}
		if _, err := u.audit.ListAuditEntries(ctx, connect.NewRequest(&auditv1.ListAuditEntriesRequest{PageSize: 1})); err != nil {
			t.Fatalf("a valid request after a refused one: %v", err)
		}
	}

	t.Run("raw bodies through the gateway", func(t *testing.T) {
		const (
			create  = "taskmesh.task.v1.TaskService/CreateTask"
			list    = "taskmesh.task.v1.TaskService/ListTasks"
			tag     = "taskmesh.task.v1.TagService/CreateTag"
			audit   = "taskmesh.audit.v1.AuditService/ListAuditEntries"
			inbox   = "taskmesh.notification.v1.NotificationService/MarkNotificationsRead"
			jsonCT  = "application/json"
			protoCT = "application/proto"
		)
		for _, c := range []struct{ name, procedure, contentType, body, want string }{
			{"PRIORITY_BOGUS", create, jsonCT, `{"task":{"title":"x","priority":"PRIORITY_BOGUS"}}`, "task.priority"},
			{"TASK_STATUS_BOGUS filter", list, jsonCT, `{"status":"TASK_STATUS_BOGUS"}`, "status"},
			{"bogus priority filter", list, jsonCT, `{"priorities":["PRIORITY_BOGUS"]}`, "priorities[0]"},
			{"bogus audit type", audit, jsonCT, `{"types":["TASK_EVENT_TYPE_BOGUS"]}`, "types[0]"},
			{"misspelt field", create, jsonCT, `{"task":{"titel":"x"}}`, "task.titel"},
			{"dueAfter in year 10000", list, jsonCT, `{"dueAfter":"10000-01-01T00:00:00Z"}`, "dueAfter"},
			{"dueBefore in year 0", list, jsonCT, `{"dueBefore":"0000-12-31T00:00:00Z"}`, "dueBefore"},
			{"truncated JSON", tag, jsonCT, `{"name":"x"`, "invalid JSON"},
			{"garbled JSON", inbox, jsonCT, "\xff\xfe{", "invalid JSON"},
			{"garbled protobuf", create, protoCT, "\xff\xff\xff\xff", "invalid protobuf body"},
		} {
			t.Run(c.name, func(t *testing.T) {
				status, code, msg := postToGateway(t, m, u.token, c.procedure, c.contentType, []byte(c.body))
				if status != http.StatusBadRequest || code != "invalid_argument" || !strings.Contains(msg, c.want) || goTypeName.MatchString(msg) {
					t.Fatalf("HTTP %d %s %q; want 400 invalid_argument naming %q and no Go type", status, code, msg, c.want)
				}
				succeed(t)
			})
		}
	})

	daily := &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY, Interval: 1}
	at := func(t time.Time) *taskv1.Due { return &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(t)}} }
	lastHalfHour := at(time.Date(9999, 12, 31, 23, 30, 0, 0, time.UTC)) // year 10000 in Paris
	first := at(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC))               // year 0 in New York
	createTask := func(c *user, task *taskv1.Task) error {
		_, err := c.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: task}))
		return err
	}
	preview := func(c *user, start *taskv1.Due) error {
		_, err := c.tasks.PreviewOccurrences(ctx, connect.NewRequest(&taskv1.PreviewOccurrencesRequest{Rule: daily, Start: start, Count: 3}))
		return err
	}
	invalid := []struct {
		name  string
		call  func() error
		field string
	}{
		{"due_after before year 1", func() error {
			_, err := bin.tasks.ListTasks(ctx, connect.NewRequest(&taskv1.ListTasksRequest{DueAfter: &timestamppb.Timestamp{Seconds: -62135596801}}))
			return err
		}, "due_after"},
		{"due_before after year 9999", func() error {
			_, err := bin.tasks.ListTasks(ctx, connect.NewRequest(&taskv1.ListTasksRequest{DueBefore: &timestamppb.Timestamp{Seconds: 253402300800}}))
			return err
		}, "due_before"},
		{"occurred_after far out", func() error {
			_, err := bin.audit.ListAuditEntries(ctx, connect.NewRequest(&auditv1.ListAuditEntriesRequest{OccurredAfter: &timestamppb.Timestamp{Seconds: 1 << 60}}))
			return err
		}, "occurred_after"},
		{"series into year 10000", func() error { return createTask(u, &taskv1.Task{Title: "t", Due: lastHalfHour, Recurrence: daily}) }, "task.due"},
		{"preview into year 10000", func() error { return preview(u, lastHalfHour) }, "start"},
		{"zero-width space title", func() error { return createTask(u, &taskv1.Task{Title: "\u200b"}) }, "task.title"},
		{"BOM and joiners title", func() error { return createTask(u, &taskv1.Task{Title: "\ufeff\u200c\u200d"}) }, "task.title"},
		{"zero-width space tag", func() error {
			_, err := u.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: "\u200b"}))
			return err
		}, "name"},
		{"rename to a zero-width space by upper-case id", func() error {
			_, err := u.tags.UpdateTag(ctx, connect.NewRequest(&taskv1.UpdateTagRequest{Id: upper, Name: proto.String("\u2060\u200b")}))
			return err
		}, "name"},
		{"one tag id in two cases", func() error { return createTask(u, &taskv1.Task{Title: "t", TagIds: []string{workID, upper}}) }, "task.tag_ids[1]"},
		{"filter by one tag id in two cases", func() error {
			_, err := u.tasks.ListTasks(ctx, connect.NewRequest(&taskv1.ListTasksRequest{TagIds: []string{upper, workID}}))
			return err
		}, "tag_ids[1]"},
	}
	for _, c := range invalid {
		t.Run(c.name, func(t *testing.T) {
			rpctest.WantInvalid(t, c.call(), c.field)
			succeed(t)
		})
	}
	for _, name := range []string{"Caf\u00e9", "Cafe\u0301", "Work\u200b", "\ufeffwork"} {
		t.Run("tag "+strings.ToValidUTF8(name, "?")+" exists already", func(t *testing.T) {
			_, err := u.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: name}))
			rpctest.WantCode(t, err, connect.CodeAlreadyExists)
			succeed(t)
		})
	}

	// Year 1 is year 0 in New York: a series starting at the first moment cannot run there.
	if _, err := u.auth.UpdateProfile(ctx, connect.NewRequest(&authv1.UpdateProfileRequest{TimeZone: proto.String("America/New_York")})); err != nil {
		t.Fatal(err)
	}
	rpctest.WantInvalid(t, createTask(u, &taskv1.Task{Title: "t", Due: first, Recurrence: daily}), "task.due")
	succeed(t)
	rpctest.WantInvalid(t, preview(u, first), "start")
	succeed(t)

	after := attackerView(t, u)
	for i := range before {
		if !proto.Equal(before[i], after[i]) {
			t.Fatalf("a refused request changed the attacker's data:\nbefore %v\nafter  %v", before[i], after[i])
		}
	}
}

// grpcClients returns the task and audit clients of u over gRPC through the gateway at baseURL.
func grpcClients(t *testing.T, baseURL string, u *user) *user {
	t.Helper()
	p := rpctest.GRPC
	hc, opts := p.HTTPClient(), append([]connect.ClientOption{}, p.Options...)
	opts = append(opts, connect.WithInterceptors(rpctest.Bearer(u.token)))
	out := *u
	out.tasks = taskv1connect.NewTaskServiceClient(hc, baseURL, opts...)
	out.audit = auditv1connect.NewAuditServiceClient(hc, baseURL, opts...)
	return &out
}
