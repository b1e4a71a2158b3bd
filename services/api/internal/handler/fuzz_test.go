package handler_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/pagetoken"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/services/api/internal/store"
)

// fuzzSorts are the sort fields FuzzListTasksPageToken picks from (by index mod len).
var fuzzSorts = []taskv1.TaskSortField{
	taskv1.TaskSortField_TASK_SORT_FIELD_UNSPECIFIED,
	taskv1.TaskSortField_TASK_SORT_FIELD_CREATED_AT,
	taskv1.TaskSortField_TASK_SORT_FIELD_UPDATED_AT,
	taskv1.TaskSortField_TASK_SORT_FIELD_DUE,
	taskv1.TaskSortField_TASK_SORT_FIELD_PRIORITY,
	taskv1.TaskSortField_TASK_SORT_FIELD_TITLE,
}

const fuzzPageSize = 2

func fuzzListRequest(sort uint8, desc bool, token string) *taskv1.ListTasksRequest {
	return &taskv1.ListTasksRequest{
		SortBy: fuzzSorts[int(sort)%len(fuzzSorts)], Descending: desc, PageSize: fuzzPageSize, PageToken: token,
	}
}

// FuzzListTasksPageToken: whatever page_token a client sends, ListTasks answers a page
// or InvalidArgument on page_token; never Internal, never a panic.
func FuzzListTasksPageToken(f *testing.F) {
	e := newEnv(f)
	u := e.newUser(rpctest.Connect)
	ctx := context.Background()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		f.Fatal(err)
	}
	for _, task := range []*taskv1.Task{
		{Title: "Alpha", Priority: taskv1.Priority_PRIORITY_HIGH, Due: dueAt(time.Date(2026, 3, 1, 10, 0, 0, 123456000, paris))},
		{Title: "beta", Priority: taskv1.Priority_PRIORITY_LOW, Due: dueAt(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))},
		{Title: "Gamma", Priority: taskv1.Priority_PRIORITY_MEDIUM},
		{Title: "delta"},
		{Title: "eta", Priority: taskv1.Priority_PRIORITY_LOW},
		{Title: "Épsilon \"quoted\" \\ 🎉", Due: &taskv1.Due{Kind: &taskv1.Due_Date{Date: &taskv1.Date{Year: 2026, Month: 3, Day: 5}}}},
		{Title: "zeta", Due: dueAt(time.Date(1850, 1, 1, 0, 0, 0, 0, time.UTC))}, // LMT offset in Paris
	} {
		if _, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: task})); err != nil {
			f.Fatal(err)
		}
	}

	// Real tokens: page through every sort, both ways.
	var nullCursor, anyCursor bool
	for si, sort := range fuzzSorts {
		for _, desc := range []bool{false, true} {
			token, pages := "", 0
			for {
				resp, err := u.tasks.ListTasks(ctx, connect.NewRequest(fuzzListRequest(uint8(si), desc, token)))
				if err != nil {
					f.Fatalf("set-up: list by %v desc=%v after %q: %v", sort, desc, token, err)
				}
				token = resp.Msg.GetNextPageToken()
				if token == "" {
					break
				}
				if pages++; pages > 10 {
					f.Fatalf("set-up: list by %v desc=%v does not end", sort, desc)
				}
				f.Add(uint8(si), desc, token)
				c, err := pagetoken.Decode[store.TaskCursor](token, pagetoken.Fingerprint(fuzzListRequest(uint8(si), desc, "")))
				if err != nil {
					f.Fatalf("set-up: a real token does not decode: %v", err)
				}
				anyCursor = true
				nullCursor = nullCursor || c.Null
			}
		}
	}
	if !anyCursor || !nullCursor {
		f.Fatalf("set-up: tokens seen: %v, null-due cursor among them: %v", anyCursor, nullCursor)
	}

	// Crafted tokens around one real one.
	first, err := u.tasks.ListTasks(ctx, connect.NewRequest(fuzzListRequest(1, false, "")))
	if err != nil {
		f.Fatal(err)
	}
	tok := first.Msg.GetNextPageToken()
	f.Add(uint8(1), false, tok[:len(tok)/2])
	f.Add(uint8(1), false, tok[:len(tok)-1])
	flipped := []byte(tok)
	flipped[len(flipped)/3] ^= 0x01
	f.Add(uint8(1), false, string(flipped))
	f.Add(uint8(1), true, tok) // right token, wrong direction
	f.Add(uint8(0), false, "")
	f.Add(uint8(0), false, "%%%")

	craft := func(sort uint8, desc bool, cursorJSON string) {
		fp := pagetoken.Fingerprint(fuzzListRequest(sort, desc, ""))
		f.Add(sort, desc, base64.RawURLEncoding.EncodeToString([]byte(`{"q":"`+fp+`","c":`+cursorJSON+`}`)))
	}
	const id = `"0195d3c4-7b1e-7c4a-9f1e-2d3c4b5a6978"`
	const created, due, priority, title = 1, 3, 4, 5 // indexes in fuzzSorts
	for si := range fuzzSorts {
		craft(uint8(si), false, `{"n":true,"i":`+id+`}`) // null-due cursor: valid for due only
	}
	craft(created, false, `{"k":12,"i":`+id+`}`)                        // wrong type of key
	craft(created, false, `{"k":"x","i":42}`)                           // wrong type of id
	craft(created, false, `{"k":"x","i":"not-a-uuid"}`)                 // bad id
	craft(created, false, `{"k":"x","n":"yes","i":`+id+`}`)             // wrong type of null flag
	craft(created, false, `{"k":1e999999,"i":`+id+`}`)                  // huge JSON number
	craft(created, false, "{\"k\\u0000\":\"x\",\"i\":"+id+"}")          // NUL in a JSON key
	craft(created, false, `null`)                                       // no cursor at all
	craft(created, false, `[]`)                                         // wrong type of cursor
	craft(created, false, `{"k":"99999-01-01 00:00:00+00","i":`+id+`}`) // year 99999
	craft(due, true, `{"k":"99999-01-01 00:00:00+00 BC","i":`+id+`}`)   // BC, as PostgreSQL prints it
	craft(created, false, `{"k":"2026-02-30 00:00:00+00","i":`+id+`}`)  // no such day
	// PostgreSQL rejects these two though Go parses them (year 0; offsets past ±15:59).
	craft(created, false, `{"k":"0000-01-01 00:00:00+00","i":`+id+`}`)
	craft(due, true, `{"k":"2026-01-01 00:00:00+24","i":`+id+`}`)
	craft(priority, false, `{"k":"32768","i":`+id+`}`) // smallint overflow
	craft(priority, true, `{"k":"+1","i":`+id+`}`)
	craft(priority, false, `{"k":"1e999999","i":`+id+`}`)
	craft(title, false, `{"k":"a\u0000b","i":`+id+`}`) // NUL in the sort key
	craft(title, true, `{"k":"\ud800","i":`+id+`}`)    // lone surrogate
	f.Add(uint8(3), false, base64.RawURLEncoding.EncodeToString([]byte(`{"q":1,"c":{}}`)))

	f.Fuzz(func(t *testing.T, sort uint8, desc bool, token string) {
		token = strings.ToValidUTF8(token, "\uFFFD") // proto strings are UTF-8 on the wire
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req := fuzzListRequest(sort, desc, token)
		resp, err := u.tasks.ListTasks(ctx, connect.NewRequest(req))
		if err == nil {
			if n := len(resp.Msg.GetTasks()); n > fuzzPageSize {
				t.Fatalf("page of %d tasks; page_size is %d", n, fuzzPageSize)
			}
			return
		}
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("ListTasks(sort_by %v, descending %v, page_token %q = %s) = %v; want a page or InvalidArgument on page_token%s",
				req.GetSortBy(), desc, token, decodedToken(token), err, cursorBugHint(token, req))
		}
		for _, field := range rpctest.ViolatedFields(t, err) {
			if field == "page_token" {
				return
			}
		}
		t.Fatalf("ListTasks(page_token %q = %s): InvalidArgument names %v; want page_token", token, decodedToken(token), rpctest.ViolatedFields(t, err))
	})
}

// cursorBugHint explains a failure on a cursor key of a known bug.
func cursorBugHint(token string, req *taskv1.ListTasksRequest) string {
	fp := pagetoken.Fingerprint(&taskv1.ListTasksRequest{SortBy: req.GetSortBy(), Descending: req.GetDescending()})
	c, err := pagetoken.Decode[store.TaskCursor](token, fp)
	if err != nil {
		return ""
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999-07", "2006-01-02 15:04:05.999999-07:00", "2006-01-02 15:04:05.999999-07:00:00"} {
		if at, err := time.Parse(layout, c.Key); err == nil {
			if _, off := at.Zone(); at.Year() == 0 || off >= 16*3600 || off <= -16*3600 {
				return fmt.Sprintf("\nBUG: store/tasklist.go validKey accepts the timestamptz key %q (Go's time.Parse takes year 0 and "+
					"zone offsets up to ±24h), PostgreSQL then refuses the cast and the query error becomes Internal", c.Key)
			}
		}
	}
	return ""
}

// decodedToken shows what a token carries, for failure messages.
func decodedToken(token string) string {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "(not base64url)"
	}
	return fmt.Sprintf("%q", b)
}

// Valid google.protobuf.Timestamp seconds: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
const minTimestamp, maxTimestamp = -62135596800, 253402300799

// timestampBugHint explains a failure on a task whose due time, or a reminder's moment
// computed from it, is no valid Timestamp: a known bug.
func timestampBugHint(in *taskv1.Task) string {
	at := in.GetDue().GetAt()
	if at == nil {
		return ""
	}
	moments := []int64{at.GetSeconds()}
	for _, r := range in.GetReminders() {
		if d := r.GetBeforeDue(); d != nil && d.GetSeconds() >= 0 && d.GetSeconds() <= 31622400 {
			moments = append(moments, at.GetSeconds()-d.GetSeconds())
		}
	}
	for _, m := range moments {
		if m < minTimestamp || m > maxTimestamp {
			return fmt.Sprintf("\nBUG: a due time or reminder moment (%d s) outside the range of google.protobuf.Timestamp is not rejected: "+
				"the store saves it, then fails encoding the outbox event (store/tasks.go writeTaskEvents) and the client gets Internal", m)
		}
	}
	return ""
}

// FuzzCreateTaskValidation: CreateTask answers success or InvalidArgument (never
// Internal) for any title, description, priority, reminder offset, recurrence interval
// and due time, and a created task reads back as sent (title trimmed) over both the binary
// and the JSON protocol.
//
// shape picks the optional parts: bit 0 a reminder before_due offset seconds, bit 1 a
// daily recurrence of interval, bit 2 the due as an all-day date (the UTC day of due)
// rather than a moment. due 0 means no due time.
func FuzzCreateTaskValidation(f *testing.F) {
	e := newEnv(f)
	u := e.newUser(rpctest.GRPC) // binary, so that any value reaches the server
	asJSON := e.clientsWithToken(rpctest.Connect, u.token)

	day := int64(1798761600) // 2027-01-01T00:00:00Z
	f.Add("Buy milk", "", int32(0), int64(0), int32(0), int64(0), uint8(0))
	f.Add("  padded  ", "desc", int32(3), int64(3600), int32(1), day, uint8(3))
	f.Add("all day", "", int32(1), int64(86400), int32(7), day, uint8(7))
	f.Add("", "", int32(0), int64(0), int32(0), int64(0), uint8(0))
	f.Add(" \t", "", int32(0), int64(0), int32(0), int64(0), uint8(0))
	f.Add("x", "", int32(99), int64(-1), int32(0), int64(0), uint8(1))
	f.Add("x", "", int32(2), int64(31622400), int32(1000), day, uint8(3))
	f.Add("x", "", int32(2), int64(31622401), int32(1001), day, uint8(3))
	f.Add("x\x00", "", int32(0), int64(0), int32(0), int64(0), uint8(0))
	f.Add("first day", "", int32(0), int64(60), int32(1), int64(minTimestamp), uint8(1))
	f.Add("last day", "", int32(0), int64(0), int32(0), int64(maxTimestamp), uint8(0))
	f.Add("past the end", "", int32(0), int64(0), int32(0), int64(maxTimestamp+1), uint8(0))
	f.Add("last all-day", "", int32(0), int64(0), int32(0), int64(maxTimestamp), uint8(4))

	f.Fuzz(func(t *testing.T, title, description string, priority int32, offset int64, interval int32, due int64, shape uint8) {
		// Proto strings are UTF-8 on the wire: the client refuses anything else.
		title = strings.ToValidUTF8(title, "\uFFFD")
		description = strings.ToValidUTF8(description, "\uFFFD")
		in := &taskv1.Task{Title: title, Description: description, Priority: taskv1.Priority(priority)}
		if due != 0 {
			if shape&4 != 0 {
				d := time.Unix(due, 0).UTC()
				in.Due = &taskv1.Due{Kind: &taskv1.Due_Date{Date: &taskv1.Date{Year: int32(d.Year()), Month: int32(d.Month()), Day: int32(d.Day())}}}
			} else {
				in.Due = &taskv1.Due{Kind: &taskv1.Due_At{At: &timestamppb.Timestamp{Seconds: due}}}
			}
		}
		if shape&1 != 0 {
			in.Reminders = []*taskv1.Reminder{{When: &taskv1.Reminder_BeforeDue{BeforeDue: &durationpb.Duration{Seconds: offset}}}}
		}
		if shape&2 != 0 {
			in.Recurrence = &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY, Interval: interval}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: in}))
		if err != nil {
			if code := connect.CodeOf(err); code != connect.CodeInvalidArgument {
				t.Fatalf("CreateTask(%v) = %v; want success or InvalidArgument%s", in, err, timestampBugHint(in))
			}
			if len(rpctest.ViolatedFields(t, err)) == 0 {
				t.Fatalf("CreateTask(%v): InvalidArgument without a field violation: %v", in, err)
			}
			return
		}
		id := resp.Msg.GetTask().GetId()
		for _, c := range []*clients{u, asJSON} {
			got, err := c.tasks.GetTask(ctx, connect.NewRequest(&taskv1.GetTaskRequest{Id: id}))
			if err != nil {
				t.Fatalf("CreateTask(%v) succeeded but GetTask fails: %v", in, err)
			}
			stored := got.Msg.GetTask()
			if want := strings.TrimSpace(title); stored.GetTitle() != want {
				t.Fatalf("stored title %q; sent %q, want it trimmed: %q", stored.GetTitle(), title, want)
			}
			if stored.GetTitle() == "" {
				t.Fatalf("CreateTask accepted title %q and stored an empty title: %v", title, stored)
			}
			if stored.GetPriority() != in.GetPriority() || stored.GetDescription() != description {
				t.Fatalf("stored priority %v, description %q; sent %v, %q", stored.GetPriority(), stored.GetDescription(), in.GetPriority(), description)
			}
			if at := in.GetDue().GetAt(); at != nil && !stored.GetDue().GetAt().AsTime().Equal(at.AsTime()) {
				t.Fatalf("stored due %v; sent %v", stored.GetDue(), in.GetDue())
			}
			if d := in.GetDue().GetDate(); d != nil && (stored.GetDue().GetDate().GetYear() != d.GetYear() ||
				stored.GetDue().GetDate().GetMonth() != d.GetMonth() || stored.GetDue().GetDate().GetDay() != d.GetDay()) {
				t.Fatalf("stored due %v; sent %v", stored.GetDue(), in.GetDue())
			}
			if len(stored.GetReminders()) != len(in.GetReminders()) {
				t.Fatalf("stored %d reminders; sent %d", len(stored.GetReminders()), len(in.GetReminders()))
			}
			if at := in.GetDue().GetAt(); at != nil && len(in.GetReminders()) == 1 {
				want := at.AsTime().Add(-time.Duration(offset) * time.Second)
				if r := stored.GetReminders()[0].GetRemindAt().AsTime(); !r.Equal(want) {
					t.Fatalf("reminder at %v; want %v (due %v minus %ds)", r, want, at.AsTime(), offset)
				}
			}
		}
		// Keep the user's task list short for the next inputs; what counts was read above.
		if _, err := u.tasks.DeleteTask(ctx, connect.NewRequest(&taskv1.DeleteTaskRequest{Id: id})); err != nil {
			t.Fatalf("delete: %v", err)
		}
	})
}
