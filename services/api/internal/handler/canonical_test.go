package handler_test

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
	"unicode"
	"unicode/utf8"

	"connectrpc.com/connect"
	"golang.org/x/text/unicode/norm"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

// goType matches a Go type name of the server in an error message ("*taskv1.Task").
var goType = regexp.MustCompile(`\*[a-z][a-z0-9]*\.[A-Z]|[a-z]+v1\.[A-Z]`)

// postRaw sends body as a Connect unary request of procedure (such as
// "taskmesh.task.v1.TaskService/CreateTask") with contentType, as curl would, and returns
// the HTTP status and the Connect error's code and message ("" on success).
func postRaw(t testing.TB, e *env, token, procedure, contentType string, body []byte) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+"/"+procedure, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		return resp.StatusCode, "", ""
	}
	var wire struct{ Code, Message string }
	_ = json.Unmarshal(out, &wire)
	return resp.StatusCode, wire.Code, wire.Message
}

// TestBadBodiesAreInvalidArgumentNamingTheField: JSON that names an unknown enum value or
// field, or that does not parse, and binary that does not parse, are InvalidArgument with
// a message naming the field and no Go type, and write nothing.
func TestBadBodiesAreInvalidArgumentNamingTheField(t *testing.T) {
	e := newOwnEnv(t) // the outbox is counted
	ctx := context.Background()
	u := e.newUser(rpctest.Connect)
	const create, list = "taskmesh.task.v1.TaskService/CreateTask", "taskmesh.task.v1.TaskService/ListTasks"
	cases := []struct {
		name, procedure, contentType, body, want string
	}{
		{"bogus priority", create, "application/json", `{"task":{"title":"x","priority":"PRIORITY_BOGUS"}}`, "task.priority"},
		{"bogus status filter", list, "application/json", `{"status":"TASK_STATUS_BOGUS"}`, "status"},
		{"bogus priority filter", list, "application/json", `{"priorities":["PRIORITY_HIGH","PRIORITY_BOGUS"]}`, "priorities[1]"},
		{"bogus frequency", create, "application/json; charset=utf-8", `{"task":{"title":"x","due":{"date":{"year":2030,"month":1,"day":1}},"recurrence":{"frequency":"FREQUENCY_HOURLY","interval":1}}}`, "task.recurrence.frequency"},
		{"misspelt field", create, "application/json", `{"task":{"titel":"x"}}`, "task.titel"},
		{"due_after in year 10000", list, "application/json", `{"dueAfter":"10000-01-01T00:00:00Z"}`, "dueAfter"},
		{"truncated JSON", create, "application/json", `{"task":{"title":"x"`, "invalid JSON"},
		{"not JSON", create, "application/json", "\x00\xff garbage", "invalid JSON"},
		{"garbled protobuf", create, "application/proto", "\xff\xff\xff\xff", "invalid protobuf body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := snapshotCounts(ctx, t, e)
			status, code, msg := postRaw(t, e, u.token, c.procedure, c.contentType, []byte(c.body))
			if status != http.StatusBadRequest || code != "invalid_argument" || !strings.Contains(msg, c.want) || goType.MatchString(msg) {
				t.Fatalf("HTTP %d %s %q; want 400 invalid_argument naming %q and no Go type", status, code, msg, c.want)
			}
			wantNothingWritten(ctx, t, e, before)
		})
	}
	// A valid JSON body still works, enum names and numbers alike.
	if status, code, msg := postRaw(t, e, u.token, create, "application/json", []byte(`{"task":{"title":"ok","priority":"PRIORITY_HIGH"}}`)); status != http.StatusOK {
		t.Fatalf("valid JSON: HTTP %d %s %s", status, code, msg)
	}
}

// TestCanonicalInputs covers the requests of issue 9.5 that the typed client can send:
// each bad one answers InvalidArgument naming the field (or AlreadyExists for a name that
// is canonically an existing one) and writes nothing.
func TestCanonicalInputs(t *testing.T) {
	e := newOwnEnv(t)
	ctx := context.Background()
	u := e.newUser(rpctest.Connect) // Europe/Paris
	work, err := u.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: "Work"}))
	if err != nil {
		t.Fatal(err)
	}
	cafe, err := u.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: "Cafe\u0301"})) // NFD
	if err != nil {
		t.Fatal(err)
	}
	if got := cafe.Msg.GetTag().GetName(); got != "Caf\u00e9" {
		t.Fatalf("tag stored as %q; want NFC %q", got, "Caf\u00e9")
	}
	workID := work.Msg.GetTag().GetId()
	upper := strings.ToUpper(workID)
	daily := &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY, Interval: 1}
	lastHour := time.Date(9999, 12, 31, 23, 30, 0, 0, time.UTC) // 10000-01-01 00:30 in Paris
	tooEarly := &timestamppb.Timestamp{Seconds: -62135596801}
	tooLate := &timestamppb.Timestamp{Seconds: 253402300800}
	preview := func(start *taskv1.Due) func(context.Context, *clients) error {
		return func(ctx context.Context, c *clients) error {
			_, err := c.tasks.PreviewOccurrences(ctx, connect.NewRequest(&taskv1.PreviewOccurrencesRequest{Rule: daily, Start: start, Count: 3}))
			return err
		}
	}
	// Timestamps outside years 1 to 9999 have no JSON form: they travel as binary (gRPC).
	binary := e.clientsWithToken(rpctest.GRPC, u.token)
	overGRPC := func(req *taskv1.ListTasksRequest) func(context.Context, *clients) error {
		return func(ctx context.Context, _ *clients) error { return listTasks(req)(ctx, binary) }
	}
	cases := []invalidCase{
		{name: "ListTasks/due_after before year 1", call: overGRPC(&taskv1.ListTasksRequest{DueAfter: tooEarly}), field: "due_after"},
		{name: "ListTasks/due_before after year 9999", call: overGRPC(&taskv1.ListTasksRequest{DueBefore: tooLate}), field: "due_before"},
		{name: "ListTasks/due_after far out", call: overGRPC(&taskv1.ListTasksRequest{DueAfter: &timestamppb.Timestamp{Seconds: 1 << 60}}), field: "due_after"},
		{name: "ListTasks/one tag id in two cases", call: listTasks(&taskv1.ListTasksRequest{TagIds: []string{workID, upper}}), field: "tag_ids[1]"},
		{name: "CreateTask/series starting in year 10000 in Paris", call: createTask(&taskv1.Task{Title: "t", Due: dueAt(lastHour), Recurrence: daily}), field: "task.due"},
		{name: "PreviewOccurrences/start in year 10000 in Paris", call: preview(dueAt(lastHour)), field: "start"},
		{name: "CreateTask/zero-width space title", call: createTask(&taskv1.Task{Title: "\u200b"}), field: "task.title"},
		{name: "CreateTask/BOM and joiners title", call: createTask(&taskv1.Task{Title: "\ufeff\u200c\u200d"}), field: "task.title"},
		{name: "CreateTask/one tag id in two cases", call: createTask(&taskv1.Task{Title: "t", TagIds: []string{workID, upper}}), field: "task.tag_ids[1]"},
		{name: "CreateTag/zero-width space name", call: createTag("\u200b", ""), field: "name"},
		{name: "CreateTag/word joiner name", call: createTag("\u2060\u00ad", ""), field: "name"},
		{name: "CreateTag/Work plus zero-width space", call: createTag("Work\u200b", ""), code: connect.CodeAlreadyExists},
		{name: "CreateTag/Café in NFC after NFD", call: createTag("Caf\u00e9", ""), code: connect.CodeAlreadyExists},
		{name: "UpdateTag/rename to zero-width space", call: func(ctx context.Context, c *clients) error {
			_, err := c.tags.UpdateTag(ctx, connect.NewRequest(&taskv1.UpdateTagRequest{Id: upper, Name: proto.String("\u200b")}))
			return err
		}, field: "name"},
		{name: "UpdateTag/rename Café to its NFD form's twin", call: func(ctx context.Context, c *clients) error {
			_, err := c.tags.UpdateTag(ctx, connect.NewRequest(&taskv1.UpdateTagRequest{Id: upper, Name: proto.String("\ufeffCafe\u0301")}))
			return err
		}, code: connect.CodeAlreadyExists},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshotCounts(ctx, t, e)
			err := tc.call(ctx, u)
			if tc.code != 0 {
				rpctest.WantCode(t, err, tc.code)
			} else {
				rpctest.WantInvalid(t, err, tc.field)
			}
			wantNothingWritten(ctx, t, e, before)
		})
	}
	tags, err := u.tags.ListTags(ctx, connect.NewRequest(&taskv1.ListTagsRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tags.Msg.GetTags()); n != 2 {
		t.Fatalf("the user has %d tags; want the 2 created first: %v", n, tags.Msg.GetTags())
	}

	t.Run("an upper-case tag id is the tag", func(t *testing.T) {
		created, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "Cafe\u0301 \u200b", TagIds: []string{upper}}}))
		if err != nil {
			t.Fatal(err)
		}
		task := created.Msg.GetTask()
		if task.GetTitle() != "Caf\u00e9" || len(task.GetTagIds()) != 1 || task.GetTagIds()[0] != workID {
			t.Fatalf("task = %q %v; want title %q and tag %s", task.GetTitle(), task.GetTagIds(), "Caf\u00e9", workID)
		}
		listed, err := u.tasks.ListTasks(ctx, connect.NewRequest(&taskv1.ListTasksRequest{TagIds: []string{upper}, Query: "Cafe\u0301"}))
		if err != nil || len(listed.Msg.GetTasks()) != 1 {
			t.Fatalf("ListTasks(upper-case tag id, NFD query) = %v, %v; want the task", listed.Msg.GetTasks(), err)
		}
		if _, err := u.tags.UpdateTag(ctx, connect.NewRequest(&taskv1.UpdateTagRequest{Id: upper, Color: proto.String("#123456")})); err != nil {
			t.Fatalf("UpdateTag(upper-case id): %v", err)
		}
	})
}

// TestSeriesFromTheFirstMoment: a due of exactly 0001-01-01T00:00:00Z, which the contract
// allows, is previewed and created alike in a zone where it is year 1; where it is year 0
// (New York), both refuse it.
func TestSeriesFromTheFirstMoment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.newUser(rpctest.Connect) // Europe/Paris: year 1, 00:09 local mean time
	first := dueAt(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC))
	daily := &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY, Interval: 1}
	resp, err := u.tasks.PreviewOccurrences(ctx, connect.NewRequest(&taskv1.PreviewOccurrencesRequest{Rule: daily, Start: first, Count: 2}))
	if err != nil {
		t.Fatalf("preview from the first moment: %v", err)
	}
	if occ := resp.Msg.GetOccurrences(); len(occ) != 2 || !proto.Equal(occ[0], first) {
		t.Fatalf("occurrences = %v", occ)
	}
	if _, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "t", Due: first, Recurrence: daily}})); err != nil {
		t.Fatalf("create from the first moment: %v", err)
	}

	ny := e.newUser(rpctest.Connect)
	if _, err := ny.auth.UpdateProfile(ctx, connect.NewRequest(&authv1.UpdateProfileRequest{TimeZone: proto.String("America/New_York")})); err != nil {
		t.Fatal(err)
	}
	_, err = ny.tasks.PreviewOccurrences(ctx, connect.NewRequest(&taskv1.PreviewOccurrencesRequest{Rule: daily, Start: first, Count: 2}))
	rpctest.WantInvalid(t, err, "start")
	_, err = ny.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "t", Due: first, Recurrence: daily}}))
	rpctest.WantInvalid(t, err, "task.due")
	// A one-off task may still be due then: only a series needs to compute further.
	if _, err := ny.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "t", Due: first}})); err != nil {
		t.Fatalf("one-off task due at the first moment: %v", err)
	}
}

// TestPagingByDuePastTheLastDay: sorted by due, in both directions, paging goes past an
// all-day task due 9999-12-31 (whose deadline is in year 10000) and a task due at the
// first moment, and lists every task once.
func TestPagingByDuePastTheLastDay(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, zone := range []string{"Europe/Paris", "Pacific/Kiritimati", "Pacific/Niue"} {
		t.Run(zone, func(t *testing.T) {
			u := e.newUser(rpctest.Connect)
			if _, err := u.auth.UpdateProfile(ctx, connect.NewRequest(&authv1.UpdateProfileRequest{TimeZone: proto.String(zone)})); err != nil {
				t.Fatal(err)
			}
			dues := []*taskv1.Due{
				{Kind: &taskv1.Due_Date{Date: &taskv1.Date{Year: 9999, Month: 12, Day: 31}}},
				{Kind: &taskv1.Due_Date{Date: &taskv1.Date{Year: 9999, Month: 12, Day: 30}}},
				dueAt(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)),
				dueAt(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)),
				{Kind: &taskv1.Due_Date{Date: &taskv1.Date{Year: 1, Month: 1, Day: 1}}},
				nil,
			}
			for i, d := range dues {
				if _, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "t", Due: d}})); err != nil {
					t.Fatalf("task %d: %v", i, err)
				}
			}
			for _, desc := range []bool{false, true} {
				seen := map[string]bool{}
				token := ""
				for page := 0; ; page++ {
					resp, err := u.tasks.ListTasks(ctx, connect.NewRequest(&taskv1.ListTasksRequest{
						SortBy: taskv1.TaskSortField_TASK_SORT_FIELD_DUE, Descending: desc, PageSize: 1, PageToken: token,
					}))
					if err != nil {
						t.Fatalf("descending=%v, page %d: %v", desc, page, err)
					}
					for _, task := range resp.Msg.GetTasks() {
						if seen[task.GetId()] {
							t.Fatalf("descending=%v: task %s listed twice", desc, task.GetId())
						}
						seen[task.GetId()] = true
					}
					if token = resp.Msg.GetNextPageToken(); token == "" {
						break
					}
				}
				if len(seen) != len(dues) {
					t.Fatalf("descending=%v: listed %d tasks; want %d", desc, len(seen), len(dues))
				}
			}
		})
	}
}

// fuzzProcedures are the request paths FuzzRequestBodies sends bodies to (by index mod len).
var fuzzProcedures = []string{
	"taskmesh.task.v1.TaskService/CreateTask",
	"taskmesh.task.v1.TaskService/ListTasks",
	"taskmesh.task.v1.TaskService/PreviewOccurrences",
	"taskmesh.task.v1.TagService/CreateTag",
	"taskmesh.task.v1.TagService/UpdateTag",
}

// FuzzRequestBodies: whatever JSON body a client sends to the task and tag procedures,
// the answer is a success or a client error (never Internal, never a panic), and no error
// message names a Go type; names that are accepted are stored canonical.
func FuzzRequestBodies(f *testing.F) {
	e := newEnv(f)
	ctx := context.Background()
	u := e.newUser(rpctest.Connect)
	tag, err := u.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: "Work"}))
	if err != nil {
		f.Fatal(err)
	}
	id := tag.Msg.GetTag().GetId()
	for _, seed := range []struct {
		proc uint8
		body string
	}{
		{0, `{"task":{"title":"x","priority":"PRIORITY_BOGUS"}}`},
		{1, `{"status":"TASK_STATUS_BOGUS"}`},
		{1, `{"dueAfter":"0001-01-01T00:00:00Z","dueBefore":"9999-12-31T23:59:59.999999999Z"}`},
		{1, `{"sortBy":"TASK_SORT_FIELD_DUE","pageSize":1,"tagIds":["` + strings.ToUpper(id) + `"]}`},
		{2, `{"rule":{"frequency":"FREQUENCY_DAILY","interval":1},"start":{"at":"0001-01-01T00:00:00Z"},"count":3}`},
		{2, `{"rule":{"frequency":"FREQUENCY_YEARLY","interval":1},"start":{"at":"9999-12-31T23:30:00Z"},"count":3}`},
		{0, `{"task":{"title":"t","due":{"date":{"year":9999,"month":12,"day":31}},"recurrence":{"frequency":"FREQUENCY_DAILY","interval":1}}}`},
		{0, `{"task":{"title":"\u200b","tagIds":["` + id + `","` + strings.ToUpper(id) + `"]}}`},
		{3, `{"name":"Cafe\u0301"}`},
		{3, `{"name":"Work\u200b"}`},
		{4, `{"id":"` + strings.ToUpper(id) + `","name":"\ufeff"}`},
		{0, `{"task":`},
	} {
		f.Add(seed.proc, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, proc uint8, body []byte) {
		procedure := fuzzProcedures[int(proc)%len(fuzzProcedures)]
		status, code, msg := postRaw(t, e, u.token, procedure, "application/json", body)
		if status >= 500 || code == "internal" || code == "unknown" {
			t.Fatalf("%s %s: HTTP %d %s %q", procedure, body, status, code, msg)
		}
		if goType.MatchString(msg) {
			t.Fatalf("%s %s: the error names a Go type: %q", procedure, body, msg)
		}
	})
	tags, err := u.tags.ListTags(ctx, connect.NewRequest(&taskv1.ListTagsRequest{}))
	if err != nil {
		f.Fatal(err)
	}
	for _, tg := range tags.Msg.GetTags() {
		name := tg.GetName()
		first, _ := utf8.DecodeRuneInString(name)
		last, _ := utf8.DecodeLastRuneInString(name)
		for _, r := range []rune{first, last} {
			if unicode.IsSpace(r) || unicode.In(r, unicode.Cf, unicode.Z) {
				f.Fatalf("tag %q stored with an invisible edge %U", name, r)
			}
		}
		if !norm.NFC.IsNormalString(name) {
			f.Fatalf("tag %q stored without NFC", name)
		}
	}
}
